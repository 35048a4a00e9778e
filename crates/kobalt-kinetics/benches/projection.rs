//! `cargo bench -p kobalt-kinetics`: one 10-year daily projection with 1,000
//! Monte Carlo draws (target: under 100 ms), and the single deterministic run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kobalt_kinetics::{
    Criterion as Crossing, Marker, Options, ParamSet, Phase, Scenario, Start, project, simulate,
};

fn bench(c: &mut Criterion) {
    let set = ParamSet::from_toml(include_str!("../../../knowledge/kinetics.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    // A vegan without a supplement, from an omnivore's stores, for 10 years.
    let scenario = Scenario {
        start: Start {
            store_ug: 1865.0,
            pool_ug: 18.0,
            mma: None,
            hcy: None,
        },
        phases: vec![Phase::diet(3650, 0.0, 3)],
    };
    let criteria = [Crossing {
        marker: Marker::SerumB12,
        below: true,
        threshold: 148.0,
    }];
    let mut group = c.benchmark_group("projection_10y");
    group.sample_size(20);
    for threads in [1, 2] {
        let options = Options {
            draws: 1000,
            seed: 42,
            every_days: 7,
            threads,
        };
        group.bench_function(format!("1000_draws_weekly_{threads}_thread"), |b| {
            b.iter(|| black_box(project(&set, &scenario, &criteria, options)))
        });
    }
    group.bench_function("deterministic", |b| {
        b.iter(|| black_box(simulate(&set.defaults(), &scenario)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
