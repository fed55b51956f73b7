"""Training the Tiny OLMoE and measuring it: the recipe (`recipe`), its fast output loss
(`output_loss`), the evaluation (`evaluate`), memorisation of the anthology (`memorisation`)
and the model and data cards written from them (`cards`)."""
