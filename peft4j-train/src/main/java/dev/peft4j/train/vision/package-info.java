/**
 * Image classification for the vision transfer experiment: IDX files (MNIST, Fashion-MNIST) read strictly,
 * normalisation and light augmentation, the {@link dev.peft4j.train.objective.Classifier} over a ViT, pretraining on
 * Fashion-MNIST and adaptation of the pretrained ViT to MNIST with any adapter method.
 */
package dev.peft4j.train.vision;
