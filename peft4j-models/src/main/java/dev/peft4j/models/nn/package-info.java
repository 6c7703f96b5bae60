/**
 * The transformer building blocks every model here is assembled from: attention, feed-forward, norms, dropout and
 * the pre-/post-norm residual blocks. Linear layers are {@link dev.peft4j.core.adapter.LinearSlot}s the models create
 * under their Hugging Face names, so adapters target them by name whatever the architecture.
 */
package dev.peft4j.models.nn;
