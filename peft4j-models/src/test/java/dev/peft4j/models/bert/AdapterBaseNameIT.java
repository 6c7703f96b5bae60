package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.models.vit.PretrainedVit;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapter files name their base the way Hugging Face does ({@code base_model_name_or_path}: a hub id, a model
 * directory, or a shipped peft4j id) and carry peft's {@code task_type}, so that Python's peft can resolve them; on
 * the real MiniLM, the shipped decoder and the shipped ViT, in both file kinds peft4j writes (adapter and LoRA export).
 */
class AdapterBaseNameIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void aClassifierOnMiniLmNamesTheHubIdAndSequenceClassification() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.load(PretrainedModel.ALL_MINILM_L6_V2,
                        ModelJars.jar(PretrainedModel.ALL_MINILM_L6_V2), manager)) {
            SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 1);
            assertBothFilesName(Peft.wrap(classifier,
                    LolduConfig.builder().setRank(4).optTargetModules("query", "value").build()),
                    "sentence-transformers/all-MiniLM-L6-v2", "SEQ_CLS");
            assertBothFilesName(Peft.wrap(encoder, LolduConfig.builder().setRank(4).optTargetModules("query").build()),
                    "sentence-transformers/all-MiniLM-L6-v2", "FEATURE_EXTRACTION");
        }
    }

    @Test
    void theShippedDecoderIsNamedByItsIdAndADirectoryByItsPath() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded shipped = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            assertBothFilesName(Peft.wrap(shipped.model(), LolduConfig.builder().setRank(4)
                    .optTargetModules("q_proj", "v_proj").build()), PretrainedLlama.ID, "CAUSAL_LM");
        }
        Path dir = PretrainedLlama.copyTo(tmp.resolve("llama-copy"));
        try (NDManager manager = NDManager.newBaseManager(); LlamaModel fromDir = LlamaModel.load(dir, manager)) {
            assertBothFilesName(Peft.wrap(fromDir, LolduConfig.builder().setRank(4).optTargetModules("q_proj")
                    .build()), dir.toAbsolutePath().normalize().toString(), "CAUSAL_LM");
        }
    }

    @Test
    void theShippedVitIsNamedByItsIdWithoutATaskTypeAsPeftHasNoneForImages() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                var vit = PretrainedVit.loadWithNewHead(PretrainedVit.Checkpoint.FASHION_MNIST, 10, 1, manager)) {
            assertBothFilesName(Peft.wrap(vit, LolduConfig.builder().setRank(4).optTargetModules("query").build()),
                    PretrainedVit.Checkpoint.FASHION_MNIST.id(), null);
        }
    }

    private void assertBothFilesName(PeftModel peft, String base, String taskType) throws IOException {
        Path adapter = tmp.resolve("adapter-" + System.nanoTime());
        peft.save(adapter);
        Path lora = tmp.resolve("lora-" + System.nanoTime());
        peft.exportLora(lora);
        for (Path dir : new Path[] {adapter, lora}) {
            JsonNode config = JSON.readTree(dir.resolve("adapter_config.json").toFile());
            assertEquals(base, config.path("base_model_name_or_path").asText(), dir + ": base_model_name_or_path");
            assertTrue(config.has("task_type"), dir + " has task_type (null where peft has none)");
            assertEquals(taskType, config.get("task_type").isNull() ? null : config.get("task_type").asText(),
                    dir + ": task_type");
        }
        peft.unload();
    }
}
