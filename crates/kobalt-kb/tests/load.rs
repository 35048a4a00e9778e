//! The bundled knowledge base loads, and broken variants fail with precise problems.

fn bundled() -> kobalt_kb::Knowledge {
    match kobalt_kb::bundled() {
        Ok(k) => k,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn bundled_knowledge_loads() {
    let k = bundled();
    assert_eq!(k.sha256.len(), 64);
    assert!(!k.version.is_empty());
}
