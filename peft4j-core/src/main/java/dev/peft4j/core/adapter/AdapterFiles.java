package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adapter directories in peft's layout: {@code adapter_config.json} plus
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module path>.<tensor>}.
 *
 * <p>The tensors are written first, then the config; each file is replaced atomically, and the
 * config records a digest of the tensor file, so a crash between the two is detected on load
 * instead of pairing a new config with old tensors. Loads are strict: every missing, unexpected,
 * mis-shaped or non-finite tensor and every base fingerprint mismatch is an {@link AdapterFormatException}.
 */
final class AdapterFiles {

    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";
    static final String LIBRARY_VERSION = "peft4j 0.1.0";
    private static final String FINGERPRINT_PREFIX = "peft4j.base_sha256.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AdapterFiles() {
    }

    static void save(PeftModel peft, String adapterName, Path dir, SaveMode mode) throws IOException {
        PeftModel.Adapter adapter = peft.requireAdapter(adapterName);
        Files.createDirectories(dir);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        for (LinearSlot slot : adapter.slots()) {
            slot.get(adapterName).stateTensors(mode == SaveMode.PORTABLE)
                    .forEach((key, tensor) -> tensors.put(PeftModel.fileKey(slot.name(), key), toData(tensor)));
            metadata.put(FINGERPRINT_PREFIX + slot.name(), fingerprint(slot.weight()));
            if (slot.get(adapterName) instanceof SharedAdapterState shared) {
                shared.sharedTensors().forEach((key, tensor) -> tensors.put(sharedKey(key), toData(tensor)));
            }
        }
        adapter.headCopies().forEach((name, tensor) -> tensors.put(PeftModel.fileKey(name), toData(tensor)));
        for (ModulesToSave saved : adapter.stores()) {
            if (!adapterName.equals(peft.activeAdapter())) {
                throw new IllegalStateException("Save adapter '" + adapterName + "' while it is active (setAdapter) so "
                        + "that its modules to save and trained base parameters hold its own values");
            }
            saved.tensors().forEach((name, tensor) -> tensors.put(PeftModel.fileKey(name), toData(tensor)));
        }
        Path weights = dir.resolve(WEIGHTS_FILE);
        SafeTensors.write(weights, tensors, metadata);
        Map<String, Object> config = configJson(peft, adapter, mode);
        config.put("peft4j_weights_sha256", fileDigest(weights));
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), JSON.writeValueAsString(config));
    }

    private static Map<String, Object> configJson(PeftModel peft, PeftModel.Adapter adapter, SaveMode mode) {
        AdapterConfig config = adapter.config();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("peft_type", adapter.method().peftType());
        json.put("base_model_name_or_path", peft.model().modelName());
        json.put("target_modules", config.targetModules().toJson());
        json.put("exclude_modules", config.excludeModules());
        json.put("modules_to_save", config.modulesToSave().isEmpty() ? null : config.modulesToSave());
        json.putAll(config.methodFields());
        json.put("inference_mode", true);
        json.put("library", LIBRARY_VERSION);
        json.put("save_mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        return json;
    }

    /** Loads the adapter in {@code dir} as {@code adapterName}; see the class comment for the checks. */
    static void load(PeftModel peft, Path dir, String adapterName, boolean trainable) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        Path weights = dir.resolve(WEIGHTS_FILE);
        for (Path required : List.of(configFile, weights)) {
            if (!Files.isRegularFile(required)) {
                throw new AdapterFormatException(required, required.getFileName().toString(), "a file",
                        "nothing", "point to a directory written by PeftModel.save (it holds " + CONFIG_FILE
                                + " and " + WEIGHTS_FILE + ")");
            }
        }
        Map<String, Object> json;
        try {
            json = JSON.readValue(configFile.toFile(), new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new AdapterFormatException(configFile, "(whole file)", "a JSON object", e.getMessage(),
                    "restore the file from the saved adapter", e);
        }
        AdapterMethod method = methodOf(json, configFile);
        String digest = (String) json.get("peft4j_weights_sha256");
        if (digest != null && !digest.equals(fileDigest(weights))) {
            throw new AdapterFormatException(weights, "peft4j_weights_sha256", digest, fileDigest(weights),
                    "the adapter was saved incompletely (config and tensors differ); save it again");
        }
        AdapterConfig config;
        try {
            config = method.configFromJson(json);
        } catch (RuntimeException e) {
            throw new AdapterFormatException(configFile, "(config)", "a valid " + method.peftType() + " config",
                    e.getMessage(), "fix the field named above", e);
        }
        SaveMode mode = "portable".equals(json.get("save_mode")) ? SaveMode.PORTABLE : SaveMode.COMPACT;
        SafeTensors.Loaded loaded = SafeTensors.read(weights);
        StrictState state = new StrictState(weights, loaded, peft.model().manager());
        try {
            PeftModel.Adapter adapter = peft.attach(adapterName, config, trainable, slot -> {
                state.checkFingerprint(slot, mode);
                Map<String, NDArray> slotState = new LinkedHashMap<>();
                method.stateShapes(config, slot, mode == SaveMode.PORTABLE).forEach((key, shape) ->
                        slotState.put(key, state.take(PeftModel.fileKey(slot.name(), key), shape)));
                return slotState;
            });
            loadSharedTensors(adapter, state);
            for (Map.Entry<String, NDArray> entry : adapter.headCopies().entrySet()) {
                NDArray value = state.take(PeftModel.fileKey(entry.getKey()), entry.getValue().getShape());
                adapter.heads().load(entry.getKey(), value.toFloatArray());
            }
            for (ModulesToSave saved : adapter.stores()) {
                for (Map.Entry<String, NDArray> entry : saved.tensors().entrySet()) {
                    NDArray value = state.take(PeftModel.fileKey(entry.getKey()), entry.getValue().getShape());
                    saved.load(adapterName, entry.getKey(), value.toFloatArray());
                }
            }
            state.requireAllUsed();
        } catch (StrictState.Failure failure) {
            if (peft.adapterNames().contains(adapterName)) {
                peft.deleteAdapter(adapterName);
            }
            throw failure.exception;
        } finally {
            state.close();
        }
    }

    /** Hands the adapter-wide tensors (VeRA's projections) to its layers, once; each declared one must be there. */
    private static void loadSharedTensors(PeftModel.Adapter adapter, StrictState state) {
        for (LinearSlot slot : adapter.slots()) {
            if (slot.get(adapter.name()) instanceof SharedAdapterState shared) {
                Map<String, NDArray> saved = new LinkedHashMap<>();
                shared.sharedTensors().forEach((key, tensor) ->
                        saved.put(key, state.take(sharedKey(key), tensor.getShape())));
                if (!saved.isEmpty()) {
                    shared.loadSharedTensors(saved);
                }
                return; // the tensors are shared: one layer loads them for all
            }
        }
    }

    static String sharedKey(String key) {
        return "base_model." + key;
    }

    private static AdapterMethod methodOf(Map<String, Object> json, Path configFile) throws AdapterFormatException {
        Object peftType = json.get("peft_type");
        try {
            return AdapterRegistry.defaultRegistry().byPeftType(String.valueOf(peftType));
        } catch (IllegalArgumentException e) {
            throw new AdapterFormatException(configFile, "peft_type", "one of "
                    + AdapterRegistry.defaultRegistry().methods().values().stream().map(AdapterMethod::peftType).toList(),
                    String.valueOf(peftType), "load it with the library that wrote it, or export it as LoRA there");
        }
    }

    /** Writes a plain PEFT LoRA adapter (against the unmodified base) equivalent to {@code adapterName}. */
    static void exportLora(PeftModel peft, String adapterName, Path dir) throws IOException {
        PeftModel.Adapter adapter = peft.requireAdapter(adapterName);
        if (adapter.baseParameters() != null) {
            throw new IllegalArgumentException("Adapter '" + adapterName + "' (" + adapter.method().id()
                    + ") trains base parameters in place, so it cannot be exported as LoRA; use mergeAndUnload "
                    + "and save the model instead");
        }
        Files.createDirectories(dir);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, Object> rankPattern = new LinkedHashMap<>();
        int maxRank = 0;
        for (LinearSlot slot : adapter.slots()) {
            if (!(slot.get(adapterName) instanceof LowRankExportable exportable)) {
                throw new IllegalArgumentException("Adapter '" + adapterName + "' (" + adapter.method().id()
                        + ") is not a low-rank update, so it cannot be exported as LoRA; merge it instead");
            }
            try (LowRankExportable.LoraFactors factors = exportable.loraFactors()) {
                tensors.put(PeftModel.fileKey(slot.name(), "lora_A.weight"), toData(factors.a()));
                tensors.put(PeftModel.fileKey(slot.name(), "lora_B.weight"), toData(factors.b()));
                int rank = (int) factors.a().getShape().get(0);
                rankPattern.put(slot.name(), rank);
                maxRank = Math.max(maxRank, rank);
            }
        }
        adapter.headCopies().forEach((name, t) -> tensors.put(PeftModel.fileKey(name), toData(t)));
        if (adapter.modulesToSave() != null) {
            adapter.modulesToSave().tensors().forEach((name, t) -> tensors.put(PeftModel.fileKey(name), toData(t)));
        }
        // lora_alpha = r gives scale alpha / r = 1 for every layer; capped layers get their own r and alpha.
        final int r = maxRank;
        rankPattern.values().removeIf(rank -> (int) rank == r);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("peft_type", "LORA");
        json.put("base_model_name_or_path", peft.model().modelName());
        json.put("r", r);
        json.put("lora_alpha", r);
        json.put("rank_pattern", rankPattern);
        json.put("alpha_pattern", rankPattern);
        json.put("target_modules", adapter.slots().stream().map(LinearSlot::name).toList());
        json.put("lora_dropout", 0.0);
        json.put("bias", "none");
        json.put("fan_in_fan_out", false);
        json.put("use_rslora", false);
        json.put("modules_to_save", adapter.config().modulesToSave().isEmpty() ? null : adapter.config().modulesToSave());
        json.put("inference_mode", true);
        json.put("library", LIBRARY_VERSION);
        SafeTensors.write(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), JSON.writeValueAsString(json));
    }

    static TensorData toData(NDArray tensor) {
        return TensorData.ofFloats(tensor.getShape().getShape(), tensor.toFloatArray());
    }

    /** SHA-256 of the weight's fp32 little-endian bytes, as laid out in a safetensors file. */
    static String fingerprint(NDArray weight) {
        java.nio.ByteBuffer bytes = weight.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer le = java.nio.ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        le.asFloatBuffer().put(bytes.asFloatBuffer());
        return sha256(le.array());
    }

    private static String fileDigest(Path file) throws IOException {
        return sha256(Files.readAllBytes(file));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    /** The loaded tensors, handed out once each with strict checks; failures tunnel out as unchecked. */
    private static final class StrictState implements AutoCloseable {
        private final Path file;
        private final Map<String, TensorData> remaining;
        private final Map<String, String> metadata;
        private final NDManager manager;

        StrictState(Path file, SafeTensors.Loaded loaded, NDManager parent) {
            this.file = file;
            this.remaining = new LinkedHashMap<>(loaded.tensors());
            this.metadata = loaded.metadata();
            this.manager = parent.newSubManager();
        }

        NDArray take(String key, Shape expected) {
            TensorData data = remaining.remove(key);
            if (data == null) {
                throw fail(key, "a tensor of shape " + expected, "no such key",
                        "the adapter does not fit this model or config; check target_modules and r");
            }
            Shape found = new Shape(data.shape());
            if (!found.equals(expected)) {
                throw fail(key, "shape " + expected, "shape " + found,
                        "the adapter was saved for another model or rank; load it on the base it was trained on");
            }
            float[] values = data.asFloats();
            int bad = TensorData.firstNonFinite(values);
            if (bad >= 0) {
                throw fail(key, "finite values", values[bad] + " at flat index " + bad,
                        "the adapter diverged or the file is corrupt; retrain or restore it");
            }
            return manager.create(values, expected);
        }

        void checkFingerprint(LinearSlot slot, SaveMode mode) {
            String key = FINGERPRINT_PREFIX + slot.name();
            String saved = metadata.get(key);
            if (saved == null) {
                return;
            }
            String actual = fingerprint(slot.weight());
            if (!saved.equals(actual) && mode == SaveMode.COMPACT) {
                throw fail(key, "base weight SHA-256 " + saved, actual,
                        "load it on the exact base weights it was trained on, or re-save in PORTABLE mode");
            }
        }

        void requireAllUsed() {
            if (!remaining.isEmpty()) {
                String key = remaining.keySet().iterator().next();
                throw fail(key, "only keys of the targeted modules", remaining.size() + " unexpected key(s), first "
                        + key, "the file has tensors this config does not target; check target_modules");
            }
        }

        private Failure fail(String key, String expected, String found, String fix) {
            return new Failure(new AdapterFormatException(file, key, expected, found, fix));
        }

        @Override
        public void close() {
            manager.close();
        }

        /** Carries a checked format error through the per-slot lambda. */
        static final class Failure extends RuntimeException {
            private static final long serialVersionUID = 1L;
            final transient AdapterFormatException exception;

            Failure(AdapterFormatException exception) {
                super(exception.getMessage(), exception, false, false);
                this.exception = exception;
            }
        }
    }
}
