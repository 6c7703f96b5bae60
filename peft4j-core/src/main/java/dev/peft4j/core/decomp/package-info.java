/**
 * Matrix decompositions behind the adapter methods, as value objects computed once per base weight: the truncated
 * LDU of LoLDU ({@link dev.peft4j.core.decomp.LduDecomposition}) and the truncated SVD of PiSSA and SVFit
 * ({@link dev.peft4j.core.decomp.SvdDecomposition}). Pure Java and bit-reproducible, because an
 * adapter is only valid against the exact factors it was trained with.
 */
package dev.peft4j.core.decomp;
