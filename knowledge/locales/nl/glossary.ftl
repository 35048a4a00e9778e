# Een eenvoudige uitleg van elke bloedtest, voor patiënten naast de naam van de test (webreview D17).
# Elke stof uit analytes.toml heeft er een nodig (gecontroleerd bij het laden).
gloss-b12_total = de gewone bloedtest voor hoeveel B12 er in uw bloed zit.
gloss-holotranscobalamin = een bloedtest voor het deel van B12 dat uw lichaam nu kan gebruiken.
gloss-mma = een extra bloedtest die laat zien of uw lichaam echt B12 tekortkomt.
gloss-homocysteine = een extra bloedtest die stijgt als het lichaam B12 of foliumzuur tekortkomt.
gloss-haemoglobin = de rode kleurstof in het bloed die zuurstof vervoert; te weinig heet bloedarmoede.
gloss-mcv = hoe groot uw rode bloedcellen zijn; bij een tekort aan B12 of foliumzuur worden ze te groot.
gloss-folate_serum = een bloedtest voor foliumzuur, een vitamine die samenwerkt met B12.
gloss-folate_rbc = foliumzuur gemeten in de rode bloedcellen; dit laat de voorraad van de laatste maanden zien.
gloss-ferritin = een bloedtest voor hoeveel ijzer uw lichaam heeft opgeslagen.
gloss-vitamin_d_25oh = een bloedtest voor vitamine D.
gloss-magnesium = een bloedtest voor magnesium, een mineraal dat spieren en zenuwen nodig hebben.
gloss-tsh = een bloedtest voor hoe goed uw schildklier werkt.
gloss-creatine_kinase = een bloedtest die stijgt als spieren beschadigd zijn.
gloss-intrinsic_factor_antibody = een bloedtest voor een ziekte van het maagslijmvlies waarbij het lichaam B12 uit voeding niet kan opnemen.
gloss-parietal_cell_antibody = een bloedtest voor een ontsteking van het maagslijmvlies die de opname van B12 kan stoppen.
gloss-gastrin = een bloedtest voor een maaghormoon; het is hoog als het maagslijmvlies ontstoken is.
gloss-tissue_transglutaminase_iga = een bloedtest voor coeliakie (de darm kan niet tegen gluten).
gloss-egfr = een bloedtest voor hoe goed uw nieren werken.
gloss-copper = een bloedtest voor koper; te weinig koper kan zenuwklachten geven zoals een B12-tekort.
gloss-platelets = bloedplaatjes, die helpen om bloed te laten stollen.
gloss-leukocytes = witte bloedcellen, die infecties bestrijden.
gloss-ldh = een bloedtest die stijgt als er veel bloedcellen worden afgebroken.
