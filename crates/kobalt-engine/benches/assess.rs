//! `cargo bench -p kobalt-engine`: one assessment per case (the repository's
//! tests/cases, and the shared vignettes when `../shared` is there) with the
//! knowledge loaded once (target: median under 20 µs), and loading the
//! bundled knowledge base (target: under 50 ms).

use std::hint::black_box;

#[path = "../tests/support/mod.rs"]
mod support;
use support::{case_files, vignette_dir_if_shared};

use criterion::{Criterion, criterion_group, criterion_main};
use kobalt_contract::{Request, parse_request};

fn vignette_requests() -> Vec<(String, Request)> {
    let own = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases");
    std::iter::once(own)
        .chain(vignette_dir_if_shared())
        .flat_map(|dir| case_files(&dir))
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let case: serde_json::Value = serde_json::from_str(&text).ok()?;
            let request = parse_request(&case["request"].to_string()).ok()?;
            let name = path.file_stem()?.to_string_lossy().into_owned();
            Some((name, request))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let kb = kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}"));
    let today = jiff::civil::date(2026, 11, 22);
    let requests = vignette_requests();

    c.bench_function("load_knowledge", |b| {
        b.iter(|| black_box(kobalt_kb::bundled()))
    });

    let mut group = c.benchmark_group("assess");
    for (name, request) in &requests {
        // Vignettes that test request errors have nothing to assess.
        if kobalt_engine::assess(&kb, request, today).is_err() {
            continue;
        }
        group.bench_function(name.as_str(), |b| {
            b.iter(|| black_box(kobalt_engine::assess(&kb, black_box(request), today)))
        });
    }
    group.finish();

    c.bench_function("assess_all_vignettes", |b| {
        b.iter(|| {
            for (_, request) in &requests {
                let _ = black_box(kobalt_engine::assess(&kb, black_box(request), today));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
