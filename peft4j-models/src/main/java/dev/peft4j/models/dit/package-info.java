/**
 * A small class-conditional diffusion transformer (DiT, Peebles and Xie) for 28 x 28 grey images, written with
 * differentiable DJL operations. Every projection is a {@link dev.peft4j.core.adapter.LinearSlot}; the attention
 * projections carry diffusers' names ({@code attn.to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}), so the
 * adapter targets of Stable Diffusion's LoRA recipes select them here too.
 */
package dev.peft4j.models.dit;
