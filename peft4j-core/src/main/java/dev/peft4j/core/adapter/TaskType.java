package dev.peft4j.core.adapter;

/**
 * The {@code task_type} values of Hugging Face peft's {@code PeftConfig} that peft4j's models have, spelled as peft
 * spells them, so that {@code AutoPeftModel} picks the matching model class for a file peft4j wrote.
 */
public enum TaskType {
    /** Sequence classification: an encoder with a classification head ({@code AutoModelForSequenceClassification}). */
    SEQ_CLS,
    /** Causal language modelling: a decoder with its LM head ({@code AutoModelForCausalLM}). */
    CAUSAL_LM,
    /** An encoder used for its hidden states or embeddings ({@code AutoModel}). */
    FEATURE_EXTRACTION
}
