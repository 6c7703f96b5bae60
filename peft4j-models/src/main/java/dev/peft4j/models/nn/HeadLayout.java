package dev.peft4j.models.nn;

/**
 * How attention splits the hidden vector into heads: {@code numHeads} query heads of {@code headSize} each and
 * {@code numKeyValueHeads} key/value heads, each shared by {@link #queriesPerKeyValueHead()} query heads (grouped-query
 * attention; equal counts are plain multi-head attention, one key/value head is multi-query attention).
 */
public record HeadLayout(int numHeads, int numKeyValueHeads, int headSize) {

    public HeadLayout {
        if (numHeads < 1 || numKeyValueHeads < 1 || headSize < 1) {
            throw new IllegalArgumentException("Attention needs >= 1 query head, key/value head and head dimension, "
                    + "found " + numHeads + ", " + numKeyValueHeads + ", " + headSize);
        }
        if (numHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException(numHeads + " query heads cannot share " + numKeyValueHeads
                    + " key/value heads evenly; num_key_value_heads must divide num_attention_heads");
        }
    }

    /** Multi-head attention: as many key/value heads as query heads (BERT, ViT). */
    public static HeadLayout multiHead(int numHeads, int headSize) {
        return new HeadLayout(numHeads, numHeads, headSize);
    }

    public int queriesPerKeyValueHead() {
        return numHeads / numKeyValueHeads;
    }

    /** Width of the query projection's output and of the merged heads. */
    public int queryWidth() {
        return numHeads * headSize;
    }

    /** Width of the key and value projections' outputs. */
    public int keyValueWidth() {
        return numKeyValueHeads * headSize;
    }
}
