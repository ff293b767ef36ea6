"""Common first names from outside the US Census lists, so "Arjun Venkataraman" or "Oluwaseun Adeyemi" count as
names the way "Jennifer Smith" does. Compiled for hubtools by region; none is an everyday English word.
"""

WORLD_FIRST_NAMES = frozenset(
    """
    aarav aditya advait akash akshay amit amitabh anand anil anjali ankit anusha arjun arnav aryan ashok
    deepak deepika devika dhruv divya gaurav harish harsha ishaan jaya karthik kavya krishna lakshmi madhuri
    manish meera mohan nandini neha nikhil pooja pradeep pranav priyanka rahul rajesh ramesh ravi rohan rohit
    sachin sanjay saurabh shreya shruti siddharth sneha sunil sunita suresh tanvi varun vijay vikram vivek yash
    aisha amina amir asma ayesha bilal farah fatima hamza hassan hussein ibrahim imran karim khalid layla leila
    mahmoud mariam mohammed mostafa mustafa nadia nour omar rania reem samir sara tariq yasmin yousef youssef
    zainab zayd hamid reza mehdi hossein parisa shirin dariush arash babak navid kian shahrzad negin
    zeynep mehmet emre burak elif ayse fatma murat oguz selin cem deniz
    adebayo adaeze amaka chidi chidinma chinedu chinonso chioma emeka femi folake funmilayo ifeoma ikechukwu
    kelechi kemi ngozi nnamdi obinna oluwaseun olumide segun tunde uche yetunde kwame kofi kwabena akua ama
    abena kojo yaw esi thandiwe thabo sipho lerato nomvula zanele kagiso tendai tatenda farai wanjiru wanjiku
    kamau otieno achieng njeri amani baraka zawadi
    wei jun jing li ming xiao yan ying yu zhang hao jie lei lin mei qiang xin xiu yang yong zhen zhi hui
    haruto hiroshi kenji kenta takeshi taro yuki yuto sakura hana yui aoi haruka akira daiki ren riku sota
    minjun seojun jiho jiwoo seoyeon minseo jisoo hyun jiwon dongha eunji sungmin
    nguyen thanh tuan huong linh phuong quang trang thao
    aleksander aleksandra agnieszka andrzej bartosz dorota ewa grzegorz jakub janusz katarzyna kasia krzysztof
    lukasz łukasz maciej magdalena malgorzata małgorzata marek mateusz michał michal pawel paweł piotr tomasz
    wojciech zbigniew zofia dmitri dmitry sergei sergey vladimir ivan olga svetlana natalya tatiana yuri igor
    oleg alexei anastasia ekaterina irina ksenia mikhail nikolai pavel yelena boris bogdan milan milos nikola
    dragan jovana jelena marija vesna zoran goran luka ivana petra tereza jiri jiří radek ondrej ondřej
    bjorn björn lars nils sven anders erik johan magnus mikael henrik kristian ingrid sigrid astrid freya
    solveig linnea elsa maja ebba saga thor tor jens søren soren mette signe aino eero juha jukka mikko pekka
    sanna tuomas ville
    jürgen jurgen klaus dieter wolfgang uwe jörg jorg lukas leon finn jonas niklas felix maximilian moritz
    lena lea leonie hanna johanna katharina sophie anja birgit heike ulrike sabine
    giuseppe giovanni francesco alessandro matteo lorenzo andrea davide simone federica chiara giulia
    alessia martina francesca valentina elena paola sofia
    joão joao pedro tiago rafael bruno gonçalo goncalo inês ines beatriz mariana leonor rui nuno
    alejandro javier sergio pablo diego álvaro alvaro iker unai mateo santiago lucía lucia paula valeria
    ximena camila guadalupe xiomara yesenia itzel
    sean seamus siobhan aoife niamh ciara cian oisin oisín eoin saoirse ronan declan padraig caoimhe
    rhys dafydd gareth sian cerys bronwen eilidh hamish morag fergus callum isla
    yusuf ahmet aylin kerem ozan
    noa yael yosef moshe avi itai shira tamar noam eitan ariel
    """.split()
)
