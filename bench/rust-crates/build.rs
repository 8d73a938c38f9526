//! Passes each benchmarked crate's version, as locked in `Cargo.lock`, to the binary
//! (`VERSION_XAD_RS`, `VERSION_REVERSE`, `VERSION_ECHIDNA`, `VERSION_EASY_ML`).

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for (name, var) in [
        ("xad-rs", "VERSION_XAD_RS"),
        ("reverse", "VERSION_REVERSE"),
        ("echidna", "VERSION_ECHIDNA"),
        ("easy-ml", "VERSION_EASY_ML"),
    ] {
        let version = lock
            .split("[[package]]")
            .find_map(|pkg| {
                let mut lines = pkg.lines().map(str::trim);
                lines.find(|l| *l == format!("name = \"{name}\""))?;
                let v = lines.find(|l| l.starts_with("version = "))?;
                Some(
                    v.trim_start_matches("version = ")
                        .trim_matches('"')
                        .to_string(),
                )
            })
            .unwrap_or_else(|| "?".to_string());
        println!("cargo:rustc-env={var}={version}");
    }
}
