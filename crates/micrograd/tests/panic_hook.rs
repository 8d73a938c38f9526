//! micrograd's own panics inside a tape access (a released Value) do not call the panic
//! hook: a hook that read the tape then would alias the access's `&mut` (undefined
//! behaviour). They print their message and unwind with it as the payload. (A file of its
//! own: the panic hook is global to the process.)

use std::sync::atomic::{AtomicUsize, Ordering};

use micrograd::{Tape, Value};

static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_released_value_panic_skips_the_hook_and_keeps_its_message() {
    std::panic::set_hook(Box::new(|_| {
        // Reading the tape here is allowed for ordinary panics (no tape access is live).
        let _ = Tape::len();
        HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    }));
    let v = {
        let _s = Tape::scope();
        Value::new(1.0)
    };
    let caught = std::panic::catch_unwind(|| (v + 1.0).data());
    let payload = caught.expect_err("a released Value was read");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("use of a released Value"), "{msg}");
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 0);
    // The tape still works, and an ordinary panic still calls the hook.
    assert_eq!((Value::new(2.0) * 3.0).data(), 6.0);
    let _ = std::panic::catch_unwind(|| panic!("an ordinary panic"));
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 1);
    let _ = std::panic::take_hook();
}
