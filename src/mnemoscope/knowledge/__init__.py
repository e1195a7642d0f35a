"""Knowledge injection: invented facts, fine-tuning on their sentences, and probes of what
the model learned after each epoch (docs/knowledge.md)."""
