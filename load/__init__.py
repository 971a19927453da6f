"""Load on the local stack: `make load` (60 s at a fixed rate) and `make soak` (10 minutes), each
checked afterwards for what must hold: nothing stored twice, every bad review one case."""
