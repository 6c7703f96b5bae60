/**
 * The BERT-family encoder (all-MiniLM-L6-v2, bge-small-en-v1.5) written with differentiable DJL
 * operations, its tokenizer, and a sequence classifier on top. Every linear layer is a
 * {@link dev.peft4j.core.adapter.LinearSlot} named by its Hugging Face module path.
 */
package dev.peft4j.models.bert;
