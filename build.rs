//! Turns the test opt-out variables into `cfg`s, so that a test which cannot run here is
//! reported by libtest as `ignored` (with its reason) instead of passing without checking
//! anything: `TCBENCH_SKIP_INTEROP=1` (no Python with real Aim: the tests comparing with
//! Aim, statsmodels or the SDK) and `TCBENCH_SKIP_MOUNT=1` (no mount namespace for the
//! read-only file system test). Without the variable such a test runs, and fails when what
//! it needs is missing (README, "Set-up"). Nothing else of the build depends on them.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for (var, cfg) in [
        ("TCBENCH_SKIP_INTEROP", "tcbench_skip_interop"),
        ("TCBENCH_SKIP_MOUNT", "tcbench_skip_mount"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        if std::env::var_os(var).is_some_and(|v| !v.is_empty() && v != "0") {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
