/**
 * Trainable tokens (peft's {@code trainable_tokens}; Textual Inversion, <a href="https://arxiv.org/abs/2208.01618">
 * paper</a>): only chosen rows of an embedding table train, in place; the other rows stay the base's, bit for bit.
 * No per-slot layer: the config is a {@link dev.peft4j.core.adapter.RowSelector}.
 */
package dev.peft4j.core.method.trainabletokens;
