"""Talking to a Hub: the embedded server and the resolution of which Hub a command targets."""
