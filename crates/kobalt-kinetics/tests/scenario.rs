//! Scenarios in everyday terms: treatment phrases, validation, projections.

use kobalt_kinetics::*;
use proptest::prelude::*;

fn set() -> ParamSet {
    ParamSet::from_toml(include_str!("../../../knowledge/kinetics.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn treatment_phrases() {
    assert_eq!(
        Treatment::parse("oral 1000 ug daily"),
        Ok(Treatment::Oral {
            ug: 1000.0,
            every_days: 1
        })
    );
    assert_eq!(
        Treatment::parse("Oral 2 mg every 2 days"),
        Ok(Treatment::Oral {
            ug: 2000.0,
            every_days: 2
        })
    );
    assert_eq!(
        Treatment::parse("im hydroxocobalamin 1000 µg loading then every 3 months"),
        Ok(Treatment::Intramuscular {
            form: Form::Hydroxocobalamin,
            ug: 1000.0,
            loading_days: LOADING_DAYS.to_vec(),
            every_days: 90,
        })
    );
    assert_eq!(
        Treatment::parse("im cyanocobalamin 1 mg monthly"),
        Ok(Treatment::Intramuscular {
            form: Form::Cyanocobalamin,
            ug: 1000.0,
            loading_days: vec![],
            every_days: 30,
        })
    );
    for bad in [
        "",
        "oral",
        "oral 1000 daily",
        "oral -5 ug daily",
        "nasal 1000 ug daily",
        "oral 1000 ug every 0 days",
        "oral 1000 ug loading daily",
    ] {
        let e = Treatment::parse(bad).expect_err(bad);
        assert!(e.to_string().contains("examples"), "{bad}: {e}");
    }
}

#[test]
fn scenario_errors_name_the_field() {
    let set = set();
    let spec = |phase: PhaseSpec| ScenarioSpec {
        start: StartSpec::Omnivore,
        phases: vec![phase],
    };
    let cases = [
        (
            PhaseSpec {
                years: Some(2.0),
                diet: Some("keto".into()),
                ..Default::default()
            },
            "phases[0].diet",
        ),
        (
            PhaseSpec {
                years: Some(2.0),
                conditions: vec!["gout".into()],
                ..Default::default()
            },
            "phases[0].conditions",
        ),
        (
            PhaseSpec {
                ..Default::default()
            },
            "phases[0].days",
        ),
        (
            PhaseSpec {
                years: Some(50.0),
                ..Default::default()
            },
            "phases[0].days",
        ),
        (
            PhaseSpec {
                years: Some(-1.0),
                ..Default::default()
            },
            "phases[0].years",
        ),
        (
            PhaseSpec {
                days: Some(10),
                n2o_cartridges_per_day: f64::NAN,
                ..Default::default()
            },
            "phases[0].n2o_cartridges_per_day",
        ),
    ];
    for (phase, field) in cases {
        match spec(phase.clone()).build(&set) {
            Err(KineticsError::Scenario { field: f, .. }) => assert_eq!(f, field, "{phase:?}"),
            other => panic!("{phase:?}: {other:?}"),
        }
    }
}

#[test]
fn projections_repeat_and_do_not_depend_on_threads() {
    let set = set();
    let scenario = ScenarioSpec {
        start: StartSpec::Omnivore,
        phases: vec![PhaseSpec {
            years: Some(6.0),
            diet: Some("vegan".into()),
            ..Default::default()
        }],
    }
    .build(&set)
    .unwrap_or_else(|e| panic!("{e}"));
    let criteria = [Criterion {
        marker: Marker::SerumB12,
        below: true,
        threshold: 148.0,
    }];
    let options = Options {
        draws: 200,
        seed: 7,
        every_days: 30,
        threads: 1,
    };
    let a = project(&set, &scenario, &criteria, options);
    let b = project(
        &set,
        &scenario,
        &criteria,
        Options {
            threads: 2,
            ..options
        },
    );
    assert_eq!(a, b);
    let crossing = &a.crossings[0];
    // The default run is the check-2 vegan from omnivore stores: 3.09 years.
    assert_eq!(
        crossing
            .default_day
            .map(|d| (f64::from(d) / 365.0 * 100.0).round()),
        Some(309.0)
    );
    let (p5, median, p95) = (
        crossing.p5_day.unwrap_or(0.0),
        crossing.median_day.unwrap_or(0.0),
        crossing.p95_day.unwrap_or(f64::MAX),
    );
    assert!(p5 < median && median < p95, "{crossing:?}");
    let serum = a
        .series(Marker::SerumB12)
        .unwrap_or_else(|| panic!("serum"));
    for band in &serum.bands {
        assert!(band.p5 <= band.median && band.median <= band.p95);
    }
}

proptest! {
    #[test]
    fn treatment_parsing_never_panics(text in "\\PC{0,40}") {
        let _ = Treatment::parse(&text);
    }

    #[test]
    fn treatment_phrases_round_trip(ug in 1u32..5000, every in 1u32..120) {
        let t = Treatment::parse(&format!("oral {ug} ug every {every} days"));
        prop_assert_eq!(t, Ok(Treatment::Oral { ug: f64::from(ug), every_days: every }));
    }
}
