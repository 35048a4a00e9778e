# The start page, the medicines question and the summary of the answers (web review D24, D18, D27).

## Start page (D24)
web-start-purpose = Kobalt helpt u kiezen of en hoe snel u naar de huisarts gaat met klachten die kunnen passen bij een tekort aan vitamine B12. Aan het eind krijgt u een overzicht om mee te nemen naar uw huisarts.
web-start-not-diagnosis = Kobalt stelt geen diagnose. Dat doet uw huisarts.
web-start-how = U beantwoordt vragen over uzelf, uw klachten, uw medicijnen en, als u die heeft, uitslagen van bloedonderzoek. Houd die uitslagen dan bij de hand.
web-start-length = { $min } tot { $max } vragen, ongeveer { $minutes } minuten.
web-start-emergency-title = Bij spoed
web-start-emergency = Bent u erg benauwd, heeft u pijn op de borst of bent u flauwgevallen? Wacht dan niet.
web-start-emergency-nl = In Nederland:
web-start-emergency-uk = In het Verenigd Koninkrijk:
web-start-emergency-call = bel
web-start-trust-title = Over Kobalt
web-start-trust = Kobalt is een open project. De medische kennis (versie { $version }) volgt standaard de richtlijnen van de Nederlandse huisartsen (NHG).
web-start-guideline-choose = Andere richtlijn kiezen
web-start-guideline-hint = Woont u in het Verenigd Koninkrijk? Kies dan de Britse richtlijn (NICE).

## Medicines question (D18): each medicine with examples people know, no brand names
option-medication-proton_pump_inhibitor = Maagzuurremmer, zoals omeprazol, pantoprazol of esomeprazol
option-medication-metformin = Metformine (tablet bij diabetes)
option-medication-statin = Cholesterolverlager, zoals atorvastatine, simvastatine of rosuvastatine
option-medication-oral_contraceptive = De anticonceptiepil
option-medication-folic_acid = Foliumzuur dat een arts heeft voorgeschreven
option-medication-pregabalin = Pregabaline (bij zenuwpijn, epilepsie of angst)
option-medication-h2_receptor_antagonist = Een ander soort maagzuurremmer: famotidine
option-medication-colchicine = Colchicine (bij jicht)
option-medication-topiramate = Topiramaat (bij epilepsie of migraine)
option-medication-primidone = Primidon (bij epilepsie of trillende handen)
option-medication-phenobarbital = Fenobarbital (bij epilepsie)
option-other-medications = Een ander medicijn dat hier niet staat
web-list-unknown-hint = Weet u het niet zeker? Kijk op de doosjes of vraag het uw apotheek. Kiest u ‘Weet ik niet’, dan telt dit als onbekend, niet als nee.
web-error-list-unknown = U koos iets uit de lijst én ‘Weet ik niet’. Kies één van beide. Weet u van sommige zeker dat u ze gebruikt? Vink die aan en laat ‘Weet ik niet’ leeg: Kobalt gaat er dan van uit dat de andere niet voor u gelden. Weet u het niet? Kies dan alleen ‘Weet ik niet’.

## Summary of the answers (D27)
web-answers-title = Controleer uw antwoorden
web-answers-intro = Klopt alles? Wilt u een antwoord aanpassen, klik dan op ‘Wijzig’. Daarna komt u hier terug.
web-answers-change = Wijzig
web-answers-see-result = Bekijk uitslag
web-answers-no-labs = Geen uitslagen ingevuld
web-answers-unknown-rest = Weet ik niet: de andere klachten ({ $n })
web-answers-years-unknown = aantal jaren niet ingevuld
