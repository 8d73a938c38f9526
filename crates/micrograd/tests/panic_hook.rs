//! A released Value's panic is raised after the tape access has ended: the panic hook runs
//! as for any panic and may read the tape (no second `&mut` to it exists), and the panic's
//! location is the user's line, not the engine's. (A file of its own: the panic hook is
//! global to the process.)

use std::sync::Mutex;

use micrograd::{Tape, Value};

/// What the hook saw: the tape's length at the panic, and the panic's file and line.
static SEEN: Mutex<Vec<(usize, String, u32)>> = Mutex::new(Vec::new());

#[test]
fn a_released_value_panics_at_the_users_line_and_the_hook_may_read_the_tape() {
    std::panic::set_hook(Box::new(|info| {
        let len = Tape::len(); // reading the tape inside the hook is sound
        let at = info.location().expect("panics have a location");
        SEEN.lock()
            .unwrap()
            .push((len, at.file().to_string(), at.line()));
    }));
    let v = {
        let _s = Tape::scope();
        Value::new(1.0)
    };
    let line = line!() + 1;
    let caught = std::panic::catch_unwind(|| (v + 1.0).data());
    let caught_data = std::panic::catch_unwind(|| v.data());
    let _ = std::panic::take_hook();

    for payload in [
        caught.expect_err("v + 1.0"),
        caught_data.expect_err("v.data()"),
    ] {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(msg.contains("use of a released Value"), "{msg}");
    }
    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (k, (len, file, at_line)) in seen.iter().enumerate() {
        assert_eq!(*len, 0, "the hook read the tape");
        assert!(file.ends_with("panic_hook.rs"), "{file}");
        assert_eq!(*at_line, line + k as u32, "{seen:?}");
    }
    // The tape still works.
    assert_eq!((Value::new(2.0) * 3.0).data(), 6.0);
}
