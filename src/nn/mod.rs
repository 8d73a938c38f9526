//! Neural networks: modules, losses, optimizers (not written yet).
