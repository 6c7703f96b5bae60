package dev.peft4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code peft4j} command: one subcommand per verb. */
@Command(name = "peft4j", mixinStandardHelpOptions = true, version = "peft4j 0.1.0",
        description = "Parameter-efficient fine-tuning (LoLDU and friends) on the JVM.",
        subcommands = {TrainCommand.class, PretrainCommand.class, GenerateCommand.class, GenerateImageCommand.class, PersonaliseCommand.class, EvalDitCommand.class, ServeCommand.class, EvalCommand.class,
                InspectCommand.class, ExportCommand.class, MergeCommand.class, ExperimentCommand.class, BenchCommand.class, SparkTrainCommand.class,
                CommandLine.HelpCommand.class})
public final class Peft4jCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "On an error, print the stack trace too (default: the one-line message).")
    boolean verbose;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: case-insensitive enums, one-line errors for bad input. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Peft4jCommand());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("peft4j: " + e.getMessage() + " (see '" + failed.getCommandSpec().qualifiedName()
                    + " --help')");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("peft4j: " + CliErrors.message(e));
            if (verbose(parseResult)) {
                e.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return 1;
        });
        return cli;
    }

    /** Whether {@code --verbose} was given, on the root command or on any subcommand (it is inherited). */
    private static boolean verbose(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult level = parseResult; level != null; level = level.subcommand()) {
            if (level.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
