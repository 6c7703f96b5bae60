/**
 * A small Vision Transformer (ViT, Dosovitskiy et al.) written with differentiable DJL operations, pretrained here
 * on Fashion-MNIST because no pretrained ViT is reachable from these machines. Every linear layer is a
 * {@link dev.peft4j.core.adapter.LinearSlot} named by its Hugging Face module path, so the text encoder's adapter
 * configs ({@code query}, {@code value}, {@code all-linear}) target it unchanged.
 */
package dev.peft4j.models.vit;
