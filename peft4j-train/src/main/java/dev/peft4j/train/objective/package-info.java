/**
 * Training objectives: what a task gives the trainer (the loss of a batch and what its evaluators read), with the
 * model interfaces they wrap: {@link dev.peft4j.train.objective.Classifier} for cross-entropy,
 * {@link dev.peft4j.train.objective.TokenPredictor} for masked token NLL (causal LM),
 * {@link dev.peft4j.train.objective.Regressor} for MSE.
 */
package dev.peft4j.train.objective;
