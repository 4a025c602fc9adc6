const OPENROUTER_KEY: &str = "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";
