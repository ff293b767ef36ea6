"""Community data: anonymized CharacterAI dumps contributed through the chat Space, with consent and receipts.

- `config`: the Space variables (`CONTRIBUTIONS_REPO`, limits) → `ContributeConfig`;
- `contribute`: uploads → limits → `hubtools data convert --from cai-dump` (parser + scrubber) → preview;
- `store`: consent, receipts, the `CommitScheduler` writer, and `forget` (removal by receipt);
- `feedback`: the chat Space's votes, picks, arena votes and shared conversations as records, and their writer
  (see docs/feedback.md);
- `ui`: the Gradio tab, `contribute_tab(config)`; `cli`: `forget` as a command.

The browser side is `userscripts/characterai-dumper.user.js`, which writes the dumps these modules read.
"""
