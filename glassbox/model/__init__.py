"""The model: loading an OLMoE folder (`loading`, `info`, `folder`, `tokenizer`), the
transformers details (`olmoe`), running it on a text (`inspection`, `generation`, `sampling`)
and the embedded model's training history (`checkpoints`)."""
