import { callUnary, connect, type KumoClients, type UnaryMethod } from './client.js';
import { UsageError } from './errors.js';
import { isOutputFormat, renderOutput, type OutputFormat } from './output.js';
import { inModelOrder } from './output-order.js';
import { toPascalCase } from './pascal-case.js';

/** Where the CLI reads and writes; injected so main() runs in tests without a process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The terminal's width when standard output is one (--output table fits it, as aws does). */
  readonly columns?: number | undefined;
}

/**
 * The options every subcommand accepts (`--endpoint`, `--output`, `--query`, `--debug`,
 * `--no-paginate`).
 */
export interface GlobalOptions {
  readonly endpoint: string;
  readonly output: OutputFormat;
  readonly query?: string | undefined;
  readonly debug: boolean;
  /** False with --no-paginate: paginated commands make one call. */
  readonly paginate: boolean;
}

/** What a subcommand needs: the clients, the global options, and a way to print a response. */
export class CliContext {
  /** Set by commands that exit with a code of their own (ssh passes on ssh's). */
  exitCode = 0;
  /**
   * Set by `--generate-cli-skeleton output`: calls answer with a sample response of the
   * operation instead of reaching kumod.
   */
  sampleResponses: ((operation: string) => Promise<unknown>) | undefined;
  private clientsMade: KumoClients | undefined;

  constructor(
    readonly io: CliIo,
    private readonly readGlobals: () => { [key: string]: unknown },
  ) {}

  /** The global options as parsed (before or after the subcommand). */
  get options(): GlobalOptions {
    const o = this.readGlobals();
    const output = String(o.output);
    if (!isOutputFormat(output))
      throw new UsageError(
        `Invalid output format '${output}' (from --output or KUMO_DEFAULT_OUTPUT; choose json, table or text)`,
      );
    return {
      endpoint: String(o.endpoint),
      output,
      query: typeof o.query === 'string' ? o.query : undefined,
      debug: o.debug === true,
      paginate: o.paginate !== false,
    };
  }

  /** The gRPC clients, connected on first use. */
  get clients(): KumoClients {
    this.clientsMade ??= connect(this.options.endpoint);
    return this.clientsMade;
  }

  /** One unary call named by its EC2 operation (for error messages). */
  call<Req, Res>(
    operation: string,
    method: UnaryMethod<Req, Res>,
    request: Req,
    deadlineMs?: number,
  ): Promise<Res> {
    if (this.sampleResponses) return this.sampleResponses(operation) as Promise<Res>;
    return callUnary(operation, method, request, deadlineMs);
  }

  /**
   * Prints the response (a ts-proto object) of EC2 `operation` EC2-shaped: PascalCase with the
   * top-level keys in EC2's order, then --query, then --output (a table is titled with the
   * operation, as in aws-cli). `text` renders the unqueried response for --output text where aws
   * prints something special.
   */
  print(operation: string, response: unknown, text?: (value: unknown) => string): void {
    this.printShaped(operation, inModelOrder(operation, toPascalCase(response)), text);
  }

  /** Prints a value that is already EC2-shaped (a merged result of several pages). */
  printShaped(operation: string, value: unknown, text?: (value: unknown) => string): void {
    const { output, query } = this.options;
    this.io.stdout(
      renderOutput(value, {
        format: output,
        operation,
        query,
        text,
        terminalWidth: this.io.columns,
      }),
    );
  }

  /** Closes the gRPC channels so the process can exit. */
  close(): void {
    this.clientsMade?.close();
    this.clientsMade = undefined;
  }
}
