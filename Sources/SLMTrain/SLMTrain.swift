// AdamW, schedules and the training loop (see Trainer.swift once added).
