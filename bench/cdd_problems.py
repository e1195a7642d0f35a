"""40 hand-written grade-school word problems for the CDD ground-truth experiment.

Each one is its own problem: a distinct situation, wording and worked solution, no two
drawn from a shared template, so a model fine-tuned on some of them cannot predict
another's solution from the ones it saw (the first version of the experiment used 12
templates, and the fine-tune collapsed the output distribution on held-out items of the
same templates). Solutions are free-form prose ending "The answer is N." (N is what TED's
numeric checker grades). The arithmetic of every entry is checked by tests/test_cdd_problems.py
through the `answer` field.
"""

from __future__ import annotations

# (question, worked solution, answer)
PROBLEMS: list[tuple[str, str, int]] = [
    ("A library fines 15 cents for each day a book is late. Priya returns a book 9 days "
     "late. How many cents does she pay?",
     "Each late day costs 15 cents, and 9 days cost 9 × 15 = 135 cents.", 135),
    ("A rectangle is 12 meters long and 5 meters wide. What is its perimeter in meters?",
     "The perimeter is twice the sum of the sides: 2 × (12 + 5) = 34 meters.", 34),
    ("Tom is 4 years older than his sister. In 6 years their ages will add up to 30. How old "
     "is Tom now?",
     "In six years the ages are s + 6 and s + 10, so 2s + 16 = 30, s = 7, and Tom is "
     "7 + 4 = 11.", 11),
    ("A recipe needs 3 eggs for every 2 cups of flour. How many eggs are needed for 8 cups "
     "of flour?",
     "Eight cups is four times 2 cups, so the recipe needs 4 × 3 = 12 eggs.", 12),
    ("A movie starts at 7:50 pm and lasts 135 minutes. How many minutes after 10 pm does it "
     "end?",
     "135 minutes is 2 hours 15 minutes; 7:50 plus that is 10:05 pm, five minutes after ten.",
     5),
    ("The sum of three consecutive whole numbers is 72. What is the largest of them?",
     "The middle number is 72 / 3 = 24, so the numbers are 23, 24 and 25.", 25),
    ("A shirt costs 40 dollars and is sold at a 25 percent discount. What is the sale price "
     "in dollars?",
     "A quarter of 40 is 10, so the shirt sells for 40 - 10 = 30 dollars.", 30),
    ("A tank holds 210 liters and already has 48 liters in it. Water flows in at 6 liters "
     "per minute. How many minutes until it is full?",
     "The tank still needs 210 - 48 = 162 liters; at 6 liters a minute that takes "
     "162 / 6 = 27 minutes.", 27),
    ("A spider has 8 legs and a beetle has 6. A jar holds 5 spiders and some beetles, with "
     "76 legs in all. How many beetles are in the jar?",
     "The spiders have 5 × 8 = 40 legs, leaving 76 - 40 = 36 legs for beetles, or "
     "36 / 6 = 6 beetles.", 6),
    ("What is the remainder when 1000 is divided by 7?",
     "Seven goes into 1000 a total of 142 times, since 142 × 7 = 994, and 1000 - 994 "
     "leaves 6.", 6),
    ("A cyclist rides 18 kilometers in 45 minutes. At that speed, how many kilometers does "
     "she ride in 2 hours?",
     "45 minutes is three quarters of an hour, so her speed is 18 / 0.75 = 24 km per hour, "
     "and in 2 hours she covers 48 km.", 48),
    ("Half of the 64 marbles in a bag are red, and a quarter of the rest are blue. How many "
     "marbles are neither red nor blue?",
     "There are 32 red marbles; of the other 32, a quarter (8) are blue, so 32 - 8 = 24 are "
     "neither.", 24),
    ("A train leaves at 14:20 and arrives at 17:05. How many minutes is the trip?",
     "From 14:20 to 17:20 is 180 minutes; arriving 15 minutes earlier makes the trip 165 "
     "minutes.", 165),
    ("The average of four test scores is 85. Three of them are 80, 90 and 78. What is the "
     "fourth score?",
     "Four scores averaging 85 add up to 340. The known three sum to 248, so the fourth is "
     "340 - 248 = 92.", 92),
    ("A square garden has an area of 169 square meters. How many meters of fence go around "
     "it?",
     "The side is the square root of 169, which is 13 meters, so the fence is 4 × 13 = 52 "
     "meters long.", 52),
    ("Ana has twice as many coins as Ben, and together they have 57 coins. How many coins "
     "does Ana have?",
     "Together they hold three of Ben's shares, so Ben has 57 / 3 = 19 and Ana has "
     "2 × 19 = 38.", 38),
    ("A printer prints 12 pages per minute. How many seconds does it need for 30 pages?",
     "Twelve pages a minute is one page every 5 seconds, so 30 pages take 30 × 5 = 150 "
     "seconds.", 150),
    ("A staircase has 14 steps, each 18 centimeters high. How many centimeters does one "
     "climb from the bottom to the top?",
     "Climbing all the steps means rising 14 × 18 = 252 centimeters.", 252),
    ("A pizza is cut into 12 slices. Four friends eat 2 slices each and then share the rest "
     "equally. How many slices does each friend eat in all?",
     "They first eat 4 × 2 = 8 slices; the remaining 4 slices give one more each, so each "
     "friend eats 3.", 3),
    ("How many minutes are there in a week?",
     "A week has 7 × 24 = 168 hours, and 168 × 60 = 10080 minutes.", 10080),
    ("A car uses 6 liters of fuel per 100 kilometers. How many liters does it need for a "
     "350 kilometer trip?",
     "The trip is 3.5 times 100 km, so the car burns 3.5 × 6 = 21 liters.", 21),
    ("If 5 workers paint a fence in 12 hours, how many hours would 3 workers need, working "
     "at the same rate?",
     "The job takes 5 × 12 = 60 worker-hours, and 3 workers share it in 60 / 3 = 20 hours.",
     20),
    ("The price of a bike rose from 250 dollars to 290 dollars. By what percent did it "
     "rise?",
     "The rise is 290 - 250 = 40 dollars, and 40 out of 250 is 16 percent.", 16),
    ("A bookshop sells notebooks at 3 for 4 dollars. How much do 27 notebooks cost in "
     "dollars?",
     "27 notebooks are 27 / 3 = 9 groups of three, and each group costs 4 dollars, for 36 "
     "dollars.", 36),
    ("Leo's heart beats 72 times a minute. How many times does it beat in a quarter of an "
     "hour?",
     "A quarter of an hour is 15 minutes, giving 15 × 72 = 1080 beats.", 1080),
    ("A triangle has angles of 48 degrees and 67 degrees. How many degrees is the third "
     "angle?",
     "The angles of a triangle sum to 180 degrees, so the third is 180 - 48 - 67 = 65 "
     "degrees.", 65),
    ("Maya saves 2 dollars on the first day, 4 on the second, 6 on the third, and so on. "
     "How much has she saved after 10 days?",
     "She saves twice the day number, so the total is 2 × (1 + 2 + ... + 10) = 2 × 55 = 110 "
     "dollars.", 110),
    ("A school bus seats 44 children. How many buses are needed for 300 children?",
     "Six buses carry 6 × 44 = 264 children, which is not enough for 300, so a seventh bus "
     "is needed.", 7),
    ("A rope 9 meters long is cut into pieces of 75 centimeters. How many whole pieces are "
     "there?",
     "Nine meters is 900 centimeters, and 900 / 75 = 12 pieces.", 12),
    ("The temperature was -7 degrees at dawn and rose by 3 degrees every hour. What was it "
     "after 5 hours?",
     "Five hours of warming add 5 × 3 = 15 degrees, and -7 + 15 = 8 degrees.", 8),
    ("A box holds 4 layers of chocolates, each layer 5 by 6. After 37 chocolates are eaten, "
     "how many remain?",
     "Each layer has 5 × 6 = 30 chocolates, so the box held 4 × 30 = 120; after 37 are "
     "eaten, 83 remain.", 83),
    ("Two numbers differ by 9 and their sum is 43. What is the smaller number?",
     "Removing the difference from the sum leaves 43 - 9 = 34, which is twice the smaller "
     "number, so it is 17.", 17),
    ("A phone plan costs 15 dollars a month plus 10 cents per text. Omar sent 260 texts in "
     "March. What was his bill in dollars?",
     "The texts cost 260 × 0.10 = 26 dollars; adding the 15 dollar monthly fee gives 41 "
     "dollars.", 41),
    ("A hiker walks up a 12 kilometer trail at 4 km per hour and back down at 6 km per "
     "hour. How many hours does the round trip take?",
     "The climb takes 12 / 4 = 3 hours and the descent 12 / 6 = 2 hours, so the round trip "
     "lasts 5 hours.", 5),
    ("An aquarium has 27 fish. One third are guppies and half of the others are tetras. "
     "How many tetras are there?",
     "One third of 27 is 9 guppies; the other 18 fish are half tetras, so there are 9 "
     "tetras.", 9),
    ("A store receives 7 crates of 24 oranges. It throws away 3 bad oranges and packs the "
     "rest in bags of 5. How many bags does it fill?",
     "Seven crates hold 7 × 24 = 168 oranges; without the 3 bad ones that is 165, which "
     "fills 165 / 5 = 33 bags.", 33),
    ("Kim reads 25 pages an hour. Her book has 340 pages and she has read 140 of them. How "
     "many more hours does she need?",
     "She has 340 - 140 = 200 pages left, and at 25 pages an hour that takes 8 hours.", 8),
    ("What is 15 percent of 260?",
     "Ten percent of 260 is 26 and five percent is 13, so fifteen percent is 26 + 13 = 39.",
     39),
    ("A parking garage charges 3 dollars for the first hour and 2 dollars for each extra "
     "hour. How much does parking for 6 hours cost?",
     "The first hour costs 3 dollars and the other 5 hours cost 5 × 2 = 10, for a total of "
     "13 dollars.", 13),
    ("A code is two letters followed by one digit. How many different codes are possible "
     "with 26 letters and 10 digits?",
     "There are 26 × 26 = 676 letter pairs, and each can be followed by 10 digits, making "
     "6760 codes.", 6760),
]
