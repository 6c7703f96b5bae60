/**
 * Readers for base-model checkpoints that DJL cannot load itself (ONNX initializers), returning
 * plain float tensors keyed by Hugging Face parameter names so that models load through a key map.
 */
package dev.peft4j.models.io;
