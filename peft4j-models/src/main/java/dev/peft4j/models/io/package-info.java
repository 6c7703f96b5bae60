/**
 * Reading and writing base-model checkpoints: readers for formats DJL cannot load itself (ONNX initializers,
 * TensorFlow tensor bundles), returning plain float tensors so that models load through a key map, and Hugging Face
 * safetensors checkpoints (single file or sharded with an index) checked strictly against an architecture's expected
 * names and shapes ({@link dev.peft4j.models.io.SafeTensorsCheckpoint}).
 */
package dev.peft4j.models.io;
