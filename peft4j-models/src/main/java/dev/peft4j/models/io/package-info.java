/**
 * Readers for base-model checkpoints that DJL cannot load itself (ONNX initializers, TensorFlow
 * tensor bundles), returning plain float tensors so that models load through a key map.
 */
package dev.peft4j.models.io;
