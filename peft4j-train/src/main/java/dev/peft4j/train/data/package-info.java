/**
 * Labelled text for fine-tuning: real corpora fetched on first use into a local cache (SpamAssassin,
 * Reuters-21578), user CSV / JSON Lines files, and deterministic stratified train/validation/test splits.
 * Nothing here needs DJL; tokenisation happens later, in the trainer.
 */
package dev.peft4j.train.data;
