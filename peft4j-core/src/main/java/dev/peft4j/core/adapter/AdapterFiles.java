package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicDirectory;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.DirectoryManifest;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Adapter directories in peft's layout: {@code adapter_config.json} plus
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module path>.<tensor>}, plus peft4j's
 * {@value DirectoryManifest#FILE_NAME} (the SHA-256 of both, which peft ignores).
 *
 * <p>A save or LoRA export replaces the directory as a whole ({@link AtomicDirectory}): whenever the process dies,
 * a loader finds the previous adapter or the new one, never one's config beside the other's tensors. Loads are
 * strict: a file that differs from the manifest, a config field of the wrong type or range, a missing,
 * unexpected, mis-shaped, non-finite or implausibly large tensor, and a base fingerprint mismatch (unless
 * {@link LoadOptions#allowOtherBase()}) are each an {@link AdapterFormatException} naming the file and key.
 * Directories saved before manifests existed have none; their digest check is skipped (the config's
 * {@code peft4j_weights_sha256} is still checked when present).
 */
final class AdapterFiles {

    static final String CONFIG_FILE = "adapter_config.json";
    static final String WEIGHTS_FILE = "adapter_model.safetensors";
    static final String LIBRARY_VERSION = "peft4j 0.1.0";
    private static final String FINGERPRINT_PREFIX = "peft4j.base_sha256.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Logger LOG = Logger.getLogger(AdapterFiles.class.getName());

    /**
     * The magnitude bound of strict loads: every loaded value must satisfy |x| <= 1e4 * max(1, max |W|), W the base
     * tensor the value adapts (the slot's weight; the original head or parameter for modules to save and in-place
     * methods; the largest adapted weight for adapter-wide tensors). Why this bound: a trained adapter moves
     * weights by a fraction of their size, so a value 10^4 times the largest base weight is corruption or
     * divergence, not fine-tuning; and within it one adapted layer cannot overflow fp32 on sane inputs (|W| <= 1e2,
     * activations <= 1e4, n <= 1e5 inputs, rank <= 1e4): B (A x) <= 1e4 * 1e6 * (1e5 * 1e6 * 1e4) = 1e25, far
     * below fp32's 3.4e38, while 3e38 in z gives inf at the first product.
     */
    static final float MAGNITUDE_FACTOR = 1e4f;

    private AdapterFiles() {
    }

    static void save(PeftModel peft, String adapterName, Path dir, SaveMode mode) throws IOException {
        PeftModel.Adapter adapter = peft.requireAdapter(adapterName);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        for (LinearSlot slot : adapter.slots()) {
            slot.get(adapterName).stateTensors(mode == SaveMode.PORTABLE)
                    .forEach((key, tensor) -> tensors.put(PeftModel.fileKey(slot.name(), key), toData(tensor)));
            metadata.put(FINGERPRINT_PREFIX + slot.name(), slot.baseFingerprint());
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
            RowSelector rows = rowSelector(adapter, saved);
            saved.tensors().forEach((name, tensor) -> tensors.put(
                    rows == null ? PeftModel.fileKey(name) : SelectedRows.fileKey(rows, name),
                    rows == null ? toData(tensor) : TensorData.ofFloats(
                            SelectedRows.shape(rows, tensor.getShape()).getShape(),
                            SelectedRows.gather(rows, tensor.toFloatArray(), tensor.getShape()))));
        }
        Map<String, Object> config = configJson(peft, adapter, mode);
        AtomicDirectory.replace(dir, fresh -> {
            Path weights = fresh.resolve(WEIGHTS_FILE);
            SafeTensors.write(weights, tensors, metadata);
            config.put("peft4j_weights_sha256", DirectoryManifest.sha256(weights));
            AtomicFiles.writeString(fresh.resolve(CONFIG_FILE), JSON.writeValueAsString(config));
        });
    }

    private static Map<String, Object> configJson(PeftModel peft, PeftModel.Adapter adapter, SaveMode mode) {
        AdapterConfig config = adapter.config();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("peft_type", adapter.method().peftType());
        json.put("base_model_name_or_path", peft.model().baseModelNameOrPath());
        json.put("task_type", taskType(peft));
        json.put("target_modules", config.targetModules().toJson());
        json.put("exclude_modules", config.excludeModules());
        json.put("modules_to_save", config.modulesToSave().isEmpty() ? null : config.modulesToSave());
        json.putAll(config.methodFields());
        json.put("inference_mode", true);
        json.put("library", LIBRARY_VERSION);
        json.put("save_mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        return json;
    }

    private static String taskType(PeftModel peft) {
        TaskType type = peft.model().taskType();
        return type == null ? null : type.name();
    }

    /** Loads the adapter in {@code dir} as {@code adapterName}; see the class comment for the checks. */
    static void load(PeftModel peft, Path savedDir, String adapterName, boolean trainable, LoadOptions options)
            throws IOException {
        Path dir = AtomicDirectory.recover(savedDir);
        Path configFile = dir.resolve(CONFIG_FILE);
        Path weights = dir.resolve(WEIGHTS_FILE);
        for (Path required : List.of(configFile, weights)) {
            if (!Files.isRegularFile(required)) {
                throw new AdapterFormatException(required, required.getFileName().toString(), "a file",
                        "nothing", "point to a directory written by PeftModel.save (it holds " + CONFIG_FILE
                                + " and " + WEIGHTS_FILE + ")");
            }
        }
        DirectoryManifest.verify(dir);
        Map<String, Object> json = readConfig(configFile);
        AdapterMethod method;
        AdapterConfig config;
        SaveMode mode;
        try {
            method = methodOf(json, configFile);
            checkWeightsDigest(json, weights);
            mode = saveMode(json);
            config = method.configFromJson(json);
        } catch (ConfigFields.FieldException e) {
            throw new AdapterFormatException(configFile, e.field(), e.expected(), e.found(), e.fix(), e);
        } catch (RuntimeException e) {
            throw new AdapterFormatException(configFile, "(config)", "a valid " + json.get("peft_type") + " config",
                    e.getMessage(), "correct the field named above in " + CONFIG_FILE + ", or save the adapter again",
                    e);
        }
        SafeTensors.Loaded loaded = SafeTensors.read(weights);
        StrictState state = new StrictState(weights, loaded, peft.model().manager());
        List<String> otherBase = new ArrayList<>();
        try {
            PeftModel.Adapter adapter = peft.attach(adapterName, config, trainable, slot -> {
                state.checkFingerprint(slot, mode, options, otherBase);
                Map<String, NDArray> slotState = new LinkedHashMap<>();
                float bound = slot.baseMagnitudeBound();
                method.stateShapes(config, slot, mode == SaveMode.PORTABLE).forEach((key, shape) ->
                        slotState.put(key, state.take(PeftModel.fileKey(slot.name(), key), shape,
                                method.exemptFromMagnitudeBound(key) ? Float.POSITIVE_INFINITY : bound)));
                return slotState;
            });
            loadSharedTensors(adapter, state);
            for (Map.Entry<String, NDArray> entry : adapter.headCopies().entrySet()) {
                NDArray value = state.take(PeftModel.fileKey(entry.getKey()), entry.getValue().getShape(),
                        magnitudeBound(entry.getValue()));
                adapter.heads().load(entry.getKey(), value.toFloatArray());
            }
            for (ModulesToSave saved : adapter.stores()) {
                RowSelector rows = rowSelector(adapter, saved);
                for (Map.Entry<String, NDArray> entry : saved.tensors().entrySet()) {
                    if (rows == null) {
                        NDArray value = state.take(PeftModel.fileKey(entry.getKey()), entry.getValue().getShape(),
                                magnitudeBound(entry.getValue()));
                        saved.load(adapterName, entry.getKey(), value.toFloatArray());
                        continue;
                    }
                    Shape shape = entry.getValue().getShape();
                    NDArray value = state.take(SelectedRows.fileKey(rows, entry.getKey()),
                            SelectedRows.shape(rows, shape), magnitudeBound(entry.getValue()),
                            "the file must hold one row per index the config lists (" + rows.rows().size()
                                    + "), each as long as a row of " + entry.getKey() + " here (" + shape.get(1)
                                    + "); load the adapter on the model it was trained on, with the "
                                    + CONFIG_FILE + " saved beside it");
                    saved.load(adapterName, entry.getKey(), SelectedRows.scatter(rows,
                            saved.originals().get(entry.getKey()), value.toFloatArray(), shape));
                }
            }
            state.requireAllUsed();
        } catch (StrictState.Failure failure) {
            deleteIfAttached(peft, adapterName);
            throw failure.exception;
        } catch (IllegalArgumentException | IllegalStateException e) {
            deleteIfAttached(peft, adapterName);
            throw new AdapterFormatException(configFile, "(config vs model)", "a config that fits model "
                    + peft.model().modelName(), e.getMessage(), "load the adapter on the model it was saved for", e);
        } finally {
            state.close();
        }
        if (!otherBase.isEmpty()) {
            LOG.warning("Adapter " + dir + " was saved on other base weights (allowOtherBase): " + otherBase.size()
                    + " module(s) differ, " + String.join("; ", otherBase) + ". Its outputs are not the ones it "
                    + "was trained to give.");
        }
    }

    /** The selector whose rows alone {@code store} saves: a {@link RowSelector}'s base parameters; else null. */
    private static RowSelector rowSelector(PeftModel.Adapter adapter, ModulesToSave store) {
        return store == adapter.baseParameters() && adapter.config() instanceof RowSelector rows ? rows : null;
    }

    private static void deleteIfAttached(PeftModel peft, String adapterName) {
        if (peft.adapterNames().contains(adapterName)) {
            peft.deleteAdapter(adapterName);
        }
    }

    private static Map<String, Object> readConfig(Path configFile) throws AdapterFormatException {
        try {
            Map<String, Object> json = JSON.readValue(configFile.toFile(), new TypeReference<Map<String, Object>>() { });
            if (json == null) {
                throw new AdapterFormatException(configFile, "(whole file)", "a JSON object", "an empty document",
                        "restore the file from the saved adapter");
            }
            return json;
        } catch (AdapterFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new AdapterFormatException(configFile, "(whole file)", "a JSON object", e.getMessage(),
                    "restore the file from the saved adapter", e);
        }
    }

    /** The config's digest of the tensor file (from before manifests existed), checked when present. */
    private static void checkWeightsDigest(Map<String, Object> json, Path weights) {
        String key = "peft4j_weights_sha256";
        if (json.get(key) == null) {
            return;
        }
        String digest = ConfigFields.string(json, key);
        String actual;
        try {
            actual = DirectoryManifest.sha256(weights);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (!digest.equals(actual)) {
            throw new ConfigFields.FieldException(key, "the SHA-256 of " + weights + ": " + actual, digest,
                    "the adapter was saved incompletely (config and tensors differ); save it again");
        }
    }

    private static SaveMode saveMode(Map<String, Object> json) {
        String value = ConfigFields.string(json, "save_mode", "compact");
        for (SaveMode mode : SaveMode.values()) {
            if (mode.name().toLowerCase(java.util.Locale.ROOT).equals(value)) {
                return mode;
            }
        }
        throw new ConfigFields.FieldException("save_mode", "\"compact\" or \"portable\"", "\"" + value + "\"",
                "correct the field, or save the adapter again");
    }

    /** {@link #MAGNITUDE_FACTOR} x max(1, max |reference|): the largest value a strict load accepts near it. */
    static float magnitudeBound(NDArray reference) {
        float max = 0f;
        if (reference.getShape().size() > 0) {
            // |W| is a copy of W: in a scratch manager, or every load would leave one per slot with the model (found
            // by the serving benchmark: 7 MB per MiniLM adapter, 24 GB at 3,500 installs)
            try (NDManager scratch = reference.getManager().newSubManager()) {
                NDArray abs = reference.abs();
                abs.attach(scratch);
                NDArray largest = abs.max();
                largest.attach(scratch);
                max = largest.getFloat();
            }
        }
        return MAGNITUDE_FACTOR * Math.max(1f, Float.isFinite(max) ? max : 1f);
    }

    /** Hands the adapter-wide tensors (VeRA's projections) to its layers, once; each declared one must be there. */
    private static void loadSharedTensors(PeftModel.Adapter adapter, StrictState state) {
        for (LinearSlot slot : adapter.slots()) {
            if (slot.get(adapter.name()) instanceof SharedAdapterState shared) {
                Map<String, NDArray> saved = new LinkedHashMap<>();
                float bound = 0;
                for (LinearSlot each : adapter.slots()) {
                    bound = Math.max(bound, each.baseMagnitudeBound());
                }
                final float sharedBound = bound;
                shared.sharedTensors().forEach((key, tensor) ->
                        saved.put(key, state.take(sharedKey(key), tensor.getShape(), sharedBound)));
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

    private static AdapterMethod methodOf(Map<String, Object> json, Path configFile) {
        String peftType = ConfigFields.string(json, "peft_type");
        try {
            return AdapterRegistry.defaultRegistry().byPeftType(peftType);
        } catch (IllegalArgumentException e) {
            throw new ConfigFields.FieldException("peft_type", "one of "
                    + AdapterRegistry.defaultRegistry().methods().values().stream().map(AdapterMethod::peftType).toList(),
                    "\"" + peftType + "\"", "load it with the library that wrote it, or export it as LoRA there");
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
        json.put("base_model_name_or_path", peft.model().baseModelNameOrPath());
        json.put("task_type", taskType(peft));
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
        String config = JSON.writeValueAsString(json);
        AtomicDirectory.replace(dir, fresh -> {
            SafeTensors.write(fresh.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
            AtomicFiles.writeString(fresh.resolve(CONFIG_FILE), config);
        });
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

    private static String sha256(byte[] bytes) {
        return DirectoryManifest.sha256(bytes);
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

        /** The tensor at {@code key}, which must have this shape and finite values of magnitude <= {@code bound}. */
        NDArray take(String key, Shape expected, float bound) {
            return take(key, expected, bound,
                    "the adapter was saved for another model or rank; load it on the base it was trained on");
        }

        /** As {@link #take(String, Shape, float)}, with {@code shapeFix} as the fix of a shape mismatch. */
        NDArray take(String key, Shape expected, float bound, String shapeFix) {
            TensorData data = remaining.remove(key);
            if (data == null) {
                throw fail(key, "a tensor of shape " + expected, "no such key",
                        "the adapter does not fit this model or config; check target_modules and r");
            }
            Shape found = new Shape(data.shape());
            if (!found.equals(expected)) {
                throw fail(key, "shape " + expected, "shape " + found, shapeFix);
            }
            float[] values = data.asFloats();
            int bad = TensorData.firstNonFinite(values);
            if (bad >= 0) {
                throw fail(key, "finite values", values[bad] + " at flat index " + bad,
                        "the adapter diverged or the file is corrupt; retrain or restore it");
            }
            for (int i = 0; i < values.length; i++) {
                if (Math.abs(values[i]) > bound) {
                    throw fail(key, "values with |x| <= " + bound + " (" + MAGNITUDE_FACTOR + " x max(1, max |W|) of "
                            + "the base tensor it adapts)", values[i] + " at flat index " + i,
                            "the adapter diverged or the file is corrupt; retrain or restore it");
                }
            }
            return manager.create(values, expected);
        }

        /**
         * The slot's base weight against the fingerprint saved with the adapter, in both modes: a compact adapter
         * recomputes its factors from the base, a portable one adds a change fitted to its own base. A mismatch is an
         * error, or with {@code allowOtherBase} a line in {@code otherBase} for the one warning of the load.
         */
        void checkFingerprint(LinearSlot slot, SaveMode mode, LoadOptions options, List<String> otherBase) {
            String key = FINGERPRINT_PREFIX + slot.name();
            String saved = metadata.get(key);
            if (saved == null) {
                return;
            }
            String actual = slot.baseFingerprint();
            if (saved.equals(actual)) {
                return;
            }
            if (options.allowOtherBase()) {
                otherBase.add(slot.name() + " (saved " + saved + ", this base " + actual + ")");
                return;
            }
            throw fail(key, "module " + slot.name() + " with base weight SHA-256 " + saved + " (the base the "
                    + mode.name().toLowerCase(java.util.Locale.ROOT) + " adapter was saved on)", "SHA-256 " + actual,
                    mode == SaveMode.COMPACT
                            ? "load it on the exact base weights it was trained on, or re-save in PORTABLE mode; "
                                    + "allowOtherBase (--allow-other-base) loads it anyway"
                            : "load it on the base it was trained on; allowOtherBase (--allow-other-base) applies "
                                    + "it to this base anyway, with a warning");
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
