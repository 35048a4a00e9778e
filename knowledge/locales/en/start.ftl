# The start page, the medicines question and the summary of the answers (web review D24, D18, D27).

## Start page (D24)
web-start-purpose = Kobalt helps you decide whether and how soon to see your GP about complaints that may fit a lack of vitamin B12. At the end you get a summary to take to your GP.
web-start-not-diagnosis = Kobalt does not make a diagnosis. Your GP does that.
web-start-how = You answer questions about yourself, your complaints, your medicines and, if you have them, blood test results. Keep those results at hand.
web-start-length = { $min } to { $max } questions, about { $minutes } minutes.
web-start-emergency-title = In an emergency
web-start-emergency = Are you very short of breath, do you have chest pain or have you fainted? Then do not wait.
web-start-emergency-nl = In the Netherlands:
web-start-emergency-uk = In the United Kingdom:
web-start-emergency-call = call
web-start-trust-title = About Kobalt
web-start-trust = Kobalt is an open project. Its medical knowledge (version { $version }) follows the guidelines of the Dutch GPs (NHG) by default.
web-start-guideline-choose = Choose another guideline
web-start-guideline-hint = Do you live in the United Kingdom? Then choose the British guideline (NICE).

## Medicines question (D18): each medicine with examples people know, no brand names
option-medication-proton_pump_inhibitor = Stomach acid blocker, such as omeprazole, pantoprazole or esomeprazole
option-medication-metformin = Metformin (a tablet for diabetes)
option-medication-statin = Cholesterol-lowering medicine, such as atorvastatin, simvastatin or rosuvastatin
option-medication-oral_contraceptive = The contraceptive pill
option-medication-folic_acid = Folic acid prescribed by a doctor
option-medication-pregabalin = Pregabalin (for nerve pain, epilepsy or anxiety)
option-medication-h2_receptor_antagonist = Another kind of stomach acid blocker: famotidine
option-medication-colchicine = Colchicine (for gout)
option-medication-topiramate = Topiramate (for epilepsy or migraine)
option-medication-primidone = Primidone (for epilepsy or shaking hands)
option-medication-phenobarbital = Phenobarbital (for epilepsy)
option-other-medications = Another medicine that is not listed
web-list-unknown-hint = Not sure? Look at the boxes or ask your pharmacy. If you choose ‘I don't know’, it counts as unknown, not as no.
web-error-list-unknown = You chose something from the list and ‘I don't know’. Choose one of the two. Are you sure about some of them? Tick those and leave ‘I don't know’ empty: Kobalt then takes it that the others do not apply to you. Don't you know? Then choose only ‘I don't know’.

## Summary of the answers (D27)
web-answers-title = Check your answers
web-answers-intro = Is everything right? To change an answer, click ‘Change’. You then come back here.
web-answers-change = Change
web-answers-see-result = See result
web-answers-no-labs = No results entered
web-answers-unknown-rest = I don't know: the other complaints ({ $n })
web-answers-years-unknown = number of years not given
