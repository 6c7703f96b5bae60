/**
 * Personalisation of a pretrained DiT (the LoLDU paper's Table VI setting): a held-out concept bound to its spare
 * class row from a few real images with any method, and the figures that judge it with the shipped ViT classifier.
 */
package dev.peft4j.apps.diffusion;
