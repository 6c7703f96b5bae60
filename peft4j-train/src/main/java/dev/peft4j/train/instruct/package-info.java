/**
 * Instruction-tuning data: Alpaca-style prompts ({@link dev.peft4j.train.instruct.AlpacaPrompt}), checkable
 * instructions built from WordNet 3.0 ({@link dev.peft4j.train.instruct.WordNetInstructions}: define, synonym,
 * antonym, hypernym, split by word), a user's own Alpaca JSON / JSON Lines file
 * ({@link dev.peft4j.train.instruct.AlpacaJsonl}), and the scorers of generated responses
 * ({@link dev.peft4j.train.instruct.InstructionScores}: ROUGE-L, token F1, exact match). Nothing here needs DJL.
 */
package dev.peft4j.train.instruct;
