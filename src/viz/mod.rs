//! Pictures: graphs and plots (not written yet).
