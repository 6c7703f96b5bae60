/**
 * Language-model tooling around pretraining: a byte-level BPE trainer ({@link dev.peft4j.apps.lm.BpeTrainer}) whose
 * vocabulary is written as a Hugging Face tokenizer directory ({@link dev.peft4j.apps.lm.TokenizerJson}) and then
 * run through DJL like any Llama-family tokenizer, and the n-gram baselines a trained model must beat
 * ({@link dev.peft4j.apps.lm.NgramBaselines}).
 */
package dev.peft4j.apps.lm;
