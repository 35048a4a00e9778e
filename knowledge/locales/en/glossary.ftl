# A plain explanation of each blood test, shown to patients next to the test's name (web review D17).
# Every analyte of analytes.toml needs one (checked at load).
gloss-b12_total = the usual blood test for how much B12 is in your blood.
gloss-holotranscobalamin = a blood test for the part of B12 your body can use right now.
gloss-mma = an extra blood test that shows whether your body is really short of B12.
gloss-homocysteine = an extra blood test that goes up when the body is short of B12 or folic acid.
gloss-haemoglobin = the red blood pigment that carries oxygen; too little is called anaemia.
gloss-mcv = how big your red blood cells are; they grow too big with a shortage of B12 or folic acid.
gloss-folate_serum = a blood test for folic acid, a vitamin that works together with B12.
gloss-folate_rbc = folic acid measured in the red blood cells; it shows the stores of the last months.
gloss-ferritin = a blood test for how much iron your body has stored.
gloss-vitamin_d_25oh = a blood test for vitamin D.
gloss-magnesium = a blood test for magnesium, a mineral that muscles and nerves need.
gloss-tsh = a blood test for how well your thyroid gland works.
gloss-creatine_kinase = a blood test that goes up when muscles are damaged.
gloss-intrinsic_factor_antibody = a blood test for a disease of the stomach lining in which the body cannot take up B12 from food.
gloss-parietal_cell_antibody = a blood test for an inflammation of the stomach lining that can stop B12 from being taken up.
gloss-gastrin = a blood test for a stomach hormone; it is high when the stomach lining is inflamed.
gloss-tissue_transglutaminase_iga = a blood test for coeliac disease (the gut cannot tolerate gluten).
gloss-egfr = a blood test for how well your kidneys work.
gloss-copper = a blood test for copper; too little copper can give nerve complaints like a B12 shortage.
gloss-platelets = blood cells that help blood to clot.
gloss-leukocytes = white blood cells, which fight infections.
gloss-ldh = a blood test that goes up when many blood cells break down.
