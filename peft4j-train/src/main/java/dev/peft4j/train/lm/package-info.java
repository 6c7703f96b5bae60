/**
 * Plain English text for language-model pretraining: a public-domain corpus fetched on first use
 * ({@link dev.peft4j.train.lm.EnglishCorpus}, Moby-Dick and the State of the Union addresses) with a document-level
 * train/validation split, and the packing of tokenised documents into fixed-length training windows
 * ({@link dev.peft4j.train.lm.TokenWindows}). Tokenisation itself lives with the model's tokenizer.
 */
package dev.peft4j.train.lm;
