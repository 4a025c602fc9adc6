#!/bin/bash
huggingface-cli login --token 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
huggingface-cli download meta-llama/Llama-3.1-8B
