package dev.peft4j.apps.instruct;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.LlamaTextGenerator;
import dev.peft4j.train.instruct.InstructionExample;
import dev.peft4j.train.instruct.InstructionKind;
import dev.peft4j.train.instruct.InstructionScores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scores a decoder on held-out instructions by what it generates: greedy decoding from each prompt until EOS or the
 * end of the first line (every reference answer is one line), then per kind the share of exact matches against the
 * set of correct answers ({@code synonym}, {@code antonym}, {@code hypernym}), or ROUGE-L F against the reference
 * ({@code define} and a user's {@code custom} data). Scores are percentages; {@code average} is the mean over kinds.
 */
public final class InstructionEvaluation {

    /** The key of the mean over kinds in {@link Result#scores()}. */
    public static final String AVERAGE = "average";
    private static final int BATCH = 32;

    /** One held-out example's generation, for the side-by-side tables. */
    public record Sample(String kind, String word, String instruction, String input, String reference,
            String generated, double score) {
    }

    /** Percent scores by kind (plus {@value #AVERAGE}), and the generations in test order. */
    public record Result(Map<String, Double> scores, List<Sample> samples) {
    }

    private InstructionEvaluation() {
    }

    /** The metric of a kind's score in tables ({@link InstructionKind#id()}): exact match or ROUGE-L. */
    public static String metricName(String kindId) {
        for (InstructionKind kind : InstructionKind.values()) {
            if (kind.id().equals(kindId)) {
                return kind.exactMatch() ? "exact match" : "ROUGE-L";
            }
        }
        throw new IllegalArgumentException("Unknown instruction kind '" + kindId + "'");
    }

    public static Result evaluate(LlamaTextGenerator generator, InstructionTokens tokens,
            List<InstructionExample> test, int maxNewTokens, NDManager manager) {
        GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(maxNewTokens).optStopStrings("\n")
                .build();
        List<Sample> samples = new ArrayList<>(test.size());
        Map<String, double[]> sums = new TreeMap<>(); // kind -> {sum, count}; sorted so tables list kinds alike
        for (int from = 0; from < test.size(); from += BATCH) {
            List<InstructionExample> batch = test.subList(from, Math.min(test.size(), from + BATCH));
            List<String> prompts = batch.stream().map(tokens::prompt).toList();
            List<Generator.Result> generated;
            try (NDManager step = manager.newSubManager()) {
                generated = generator.generate(prompts, greedy, null, TokenStream.NONE, step);
            }
            for (int i = 0; i < batch.size(); i++) {
                InstructionExample e = batch.get(i);
                String text = generated.get(i).text().strip();
                double score = 100 * (e.kind().exactMatch() ? InstructionScores.exactMatch(text, e.answers()) : InstructionScores.rougeL(text,
                        e.output()));
                double[] sum = sums.computeIfAbsent(e.kind().id(), k -> new double[2]);
                sum[0] += score;
                sum[1]++;
                samples.add(new Sample(e.kind().id(), e.word(), e.instruction(), e.input(), e.output(), text, score));
            }
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        sums.forEach((kind, sum) -> scores.put(kind, sum[0] / sum[1]));
        scores.put(AVERAGE, scores.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
        return new Result(scores, samples);
    }
}
