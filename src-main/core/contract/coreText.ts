/**
 * Text made in the core, in the user's language (issue 17).
 *
 * The core speaks English: its sentences go to logs, the CLI, scripts and older clients, and they
 * stay as they are. Beside a sentence the page needs to show, the core also sends the same text
 * as a stable code with parameters (a `CoreText`), and the page renders the code through its
 * message catalogue (i18n/messages, key `core_<code>`) in the user's language.
 *
 * - A field `x` that holds an English sentence gains `xCode`, its coded form: `ErrorBody.message`
 *   → `messageCode`, `ErrorBody.issues` → `issueCodes` (one per issue, with its field path as it
 *   was, so the path stays the one the user typed), `SweepProgress.text` → `textCode`, a sweep
 *   plan's `folding.reason` → `reasonCode`, `agent.claim`'s `reason` → `reasonCode`, the GPU
 *   lender's status `text` → `textCode`.
 * - The parameters of each code are named and checked here (`coreTextParams`), so an emitter that
 *   passes the wrong ones fails the type check, and `CoreText` validates what crosses a boundary.
 *   Parameters are numbers, short strings or lists of coded sentences (`ProblemText`, joined '; ');
 *   names and paths are passed as they are (a metric, a run's name, a field path: never translated).
 * - The page renders an unknown code (a newer core than the page) or a missing coded form with
 *   the English sentence: the sentence is always there, the code is an addition.
 * - Validation issues from zod get codes from the issue's own kind (`issue_too_big` …), see
 *   core/errors.ts; a refinement in the contract can give its issue a code with
 *   `params: { textCode: 'issue_…', …params }`.
 *
 * Adding a code: add it here with its parameters, add `core_<code>` to both catalogues with the
 * same `{params}`, and send it beside the sentence. i18n/coreText.test.ts renders every code in
 * both languages and fails on a code without its message.
 */
import { z } from 'zod';
import { agentLogTextParams } from './agentLogText.ts';
import { agentProtocolTextParams } from './agentProtocolText.ts';
import { backendTextParams } from './backendText.ts';
import { datasetPathTextParams } from './datasetPathText.ts';
import { datasetStateTextParams } from './datasetStateText.ts';
import { downloadTextParams } from './downloadText.ts';
import { healthTextParams } from './healthText.ts';
import { importTextParams } from './importText.ts';
import { kerasTextParams } from './kerasText.ts';
import { sweepTextParams } from './sweepText.ts';

const count = z.number().int().nonnegative();
const id = z.number().int().nonnegative();
/** A short piece of text passed as it is: a name, a path, a list of allowed values. */
const word = z.string().max(1000);
const number = z.number();
/** Sentences inside a sentence (a corrupt dataset's problems), each coded; a plain string (older cores) still validates. */
const problems: z.ZodType<ProblemText[]> = z.lazy(() => z.array(ProblemText).max(100));
const wordOrProblems = z.union([word, problems]);
/** Where a dataset file's link leads ('' or absent: none), which the catalogue words after `{file}`. */
const link = word.optional();
const memoryParams = z.object({ need: word, params: count, weights: word, activations: word, batch: count, limit: word }).strict();

/** Every code the core sends, with the parameters its message takes. */
export const coreTextParams = {
  // Errors shown in forms and views.
  error_invalid_input: z.object({}).strict(),
  error_invalid_run: z.object({}).strict(),
  error_invalid_run_nothing: z.object({}).strict(),
  error_invalid_method_input: z.object({ method: word }).strict(),
  error_no_checkpoint: z.object({ id, checkpoint: word }).strict(),
  error_run_cannot_become: z.object({ id, status: word, to: word, allowed: word }).strict(),
  error_run_finished_cannot_become: z.object({ id, status: word, to: word }).strict(),
  error_run_not_found: z.object({ id }).strict(),
  error_run_running_delete: z.object({ id }).strict(),
  error_run_running_elsewhere: z.object({ id, owner: word }).strict(),
  error_sweep_not_found: z.object({ id }).strict(),
  error_test_index_past: z.object({ index: count, count, dataset: word }).strict(),
  error_unknown_method: z.object({ method: word }).strict(),
  error_shutting_down: z.object({ method: word }).strict(),
  // The desktop app (src-main/electron): its service host stopped or not there, and a page language main refuses.
  error_service_closing: z.object({}).strict(),
  error_service_not_started: z.object({}).strict(),
  error_service_stopped: z.object({ method: word }).strict(),
  error_service_exited_early: z.object({ exitCode: word }).strict(),
  error_service_stopped_unanswered: z.object({ exitCode: word }).strict(),
  error_service_gave_up: z.object({ times: count, seconds: count, exitCode: word }).strict(),
  error_page_language: z.object({ locales: word, value: word }).strict(),
  error_page_language_chosen: z.object({ value: word }).strict(),
  // A path in a desktop call that is not a live token of main's file dialog (electron/pathGrants.ts): the sentence, and its issue after the field.
  error_path_not_picked: z.object({ method: word, field: word }).strict(),
  issue_path_not_picked: z.object({}).strict(),
  // Runs, sweeps and the store refusing a request (core/db, core/sweeps, service.ts).
  error_agent_events_missing: z.object({ from: count, to: count, runId: id, attempt: count }).strict(),
  error_agent_id_taken: z.object({ agent: word }).strict(),
  error_agent_token_needed: z.object({}).strict(),
  error_agent_token_unknown: z.object({}).strict(),
  error_axis_filters_count: z.object({ values: word, entries: count, layers: count }).strict(),
  error_axis_layer_index: z.object({ axis: word, layers: count, last: number }).strict(),
  error_axis_layer_no_field: z.object({ axis: word, index: count, type: word, field: word }).strict(),
  error_axis_no_layer: z.object({ axis: word, types: word }).strict(),
  error_axis_not_layer_field: z.object({ axis: word, field: word, fields: word }).strict(),
  error_axis_range_not_numeric: z.object({ where: word }).strict(),
  error_axis_range_steps: z.object({ where: word }).strict(),
  error_axis_setting_group: z.object({ axis: word, field: word }).strict(),
  error_axis_unknown: z.object({ axis: word, axes: word }).strict(),
  error_axis_unknown_hyperparameter: z.object({ axis: word, field: word }).strict(),
  error_cannot_start_training: z.object({ problem: wordOrProblems }).strict(),
  error_cluster_profile_missing: z.object({ name: word }).strict(),
  error_compare_run_missing: z.object({ id }).strict(),
  error_compare_runs_missing: z.object({ ids: word }).strict(),
  error_experiment_exists: z.object({ name: word }).strict(),
  error_experiment_not_found: z.object({ id }).strict(),
  error_export_file_folder: z.object({ path: word }).strict(),
  error_export_file_missing: z.object({ path: word }).strict(),
  error_export_file_unreadable: z.object({ path: word, reason: word }).strict(),
  error_export_runs_missing: z.object({ ids: word }).strict(),
  error_gpu_host_tokens_full: z.object({ live: count, limit: count }).strict(),
  error_gpu_hosts_full: z.object({ live: count, limit: count }).strict(),
  error_import_upload_too_large: z.object({ limit: count }).strict(),
  error_import_body_shape_too_large: z.object({ size: count, limit: count }).strict(),
  // A request body refused (server/requestBody.ts): over its limit, nested too deep, or not JSON (core/jsonComplaint.ts).
  request_body_too_large: z.object({ limit: word }).strict(),
  request_body_too_large_declared: z.object({ size: word, limit: word }).strict(),
  request_body_too_deep: z.object({ depth: count, at: word }).strict(),
  request_body_not_json: z.object({ reason: word }).strict(),
  request_body_not_json_at: z.object({ at: word }).strict(),
  request_body_not_json_ends_early: z.object({}).strict(),
  request_body_not_json_token: z.object({ token: word }).strict(),
  // kernellab serve's own refusals (server/server.ts): a port taken, a host not here, a request without its token, host or origin.
  // The data folder (core/home.ts): a path that is a file, or one that cannot be created.
  error_data_folder_is_file: z.object({ folder: word }).strict(),
  error_data_folder_not_writable: z.object({ folder: word, reason: word }).strict(),
  error_data_subfolder_is_file: z.object({ folder: word, sub: word }).strict(),
  error_data_folder_uncreatable: z.object({ folder: word }).strict(),
  error_serve_port_in_use: z.object({ port: word, host: word }).strict(),
  error_serve_host_not_here: z.object({ host: word }).strict(),
  error_serve_token: z.object({}).strict(),
  error_serve_host_refused: z.object({ host: word }).strict(),
  error_serve_origin_refused: z.object({ origin: word }).strict(),
  error_serve_needs_tls: z.object({}).strict(),
  // The database refused at open (core/db/database.ts); `dbStep` is the step of opening that failed, a word the catalogue has.
  db_not_sqlite: z.object({ path: word }).strict(),
  db_truncated: z.object({ path: word, bytes: count, expected: count }).strict(),
  db_damaged: z.object({ path: word, reason: word }).strict(),
  db_not_kernellab: z.object({ path: word }).strict(),
  db_newer_than_app: z.object({ path: word, version: count, latest: count }).strict(),
  db_unknown_migration: z.object({ path: word, migration: word, file: word }).strict(),
  db_unknown_migration_none: z.object({ path: word, migration: word }).strict(),
  db_changed_migration: z.object({ file: word, path: word, then: word, now: word }).strict(),
  db_migration_failed: z.object({ file: word, path: word, reason: word }).strict(),
  db_migration_broken_keys: z.object({ file: word, count, table: word, rowid: word, parent: word, path: word }).strict(),
  db_disk_full: z.object({ path: word, dbStep: word }).strict(),
  db_read_only: z.object({ path: word, code: word, dbStep: word, folder: word }).strict(),
  db_failed: z.object({ path: word, dbStep: word, reason: word }).strict(),
  // The database file deleted or replaced under a running KernelLab (core/db/storeContext.ts fileGone): the health check's line.
  db_gone_deleted: z.object({ path: word }).strict(),
  db_gone_replaced: z.object({ path: word }).strict(),
  // A write refused because of it (storeContext.write): the problem coded, and the step as the core names it (English in every language).
  db_gone_write_refused: z.object({ problem: wordOrProblems, doing: word }).strict(),
  // A runs export refused on import (db/importChecks.ts): the heading, then each reason after its field path.
  error_import_invalid: z.object({}).strict(),
  import_missing: z.object({}).strict(),
  import_expected_object: z.object({}).strict(),
  import_expected: z.object({ value: word }).strict(),
  import_too_large: z.object({ mib: number }).strict(),
  import_too_deep_byte: z.object({ levels: count, at: count }).strict(),
  import_too_deep_character: z.object({ levels: count, at: count }).strict(),
  import_not_json: z.object({ detail: word }).strict(),
  import_not_json_byte: z.object({ detail: word, at: count }).strict(),
  import_proto_key: z.object({}).strict(),
  import_file_shrank: z.object({}).strict(),
  error_invalid_experiment: z.object({}).strict(),
  error_metric_batch_no_run: z.object({ index: count, id }).strict(),
  error_run_invalid_spec: z.object({ id }).strict(),
  error_run_refers_to_missing: z.object({ field: word, table: word, refId: id }).strict(),
  error_run_running_elsewhere_pause: z.object({ id, owner: word }).strict(),
  error_runs_query_op_list: z.object({ op: word }).strict(),
  error_sweep_agents_full: z.object({ sweepId: id, live: count, limit: count }).strict(),
  error_sweep_canceled_while_queued: z.object({ id, queued: count, total: count }).strict(),
  error_sweep_confirm_epochs: z.object({ epochs: count, limit: count }).strict(),
  error_sweep_confirm_runs: z.object({ total: count, limit: count }).strict(),
  error_sweep_direction_needed: z.object({ metric: word }).strict(),
  error_sweep_no_feasible_point: z.object({ tries: count, last: word }).strict(),
  error_sweep_too_many_runs: z.object({ total: count, limit: count }).strict(),
  error_sweep_unknown_hyperparameter: z.object({ key: word, known: word }).strict(),
  error_threads_not_whole: z.object({ threads: number }).strict(),
  error_threads_too_many: z.object({ threads: number, cpus: count }).strict(),
  error_workers_not_whole: z.object({ workers: number }).strict(),
  error_workers_too_many: z.object({ workers: number, cpus: count }).strict(),
  // Inspecting a run: its filters, feature maps and predictions (core/inspect), one run's refusal at a time.
  error_inspect_dataset_shape: z
    .object({
      id,
      height: count,
      width: count,
      channels: count,
      dataset: word,
      imageHeight: count,
      imageWidth: count,
      imageChannels: count,
    })
    .strict(),
  error_inspect_epoch_not_recorded: z.object({ id, epoch: count, recorded: word }).strict(),
  error_inspect_image_size: z.object({ values: count, id, height: count, width: count, channels: count, expected: count }).strict(),
  error_inspect_kernel_mismatch: z.object({ dir: word, layer: count, shape: word, kernelSize: count, filters: count }).strict(),
  error_inspect_model_failed: z.object({ id, error: word }).strict(),
  error_inspect_no_checkpoint_yet: z.object({ id }).strict(),
  error_inspect_no_layer: z.object({ layer: count, layers: count }).strict(),
  error_inspect_no_spec: z.object({ id }).strict(),
  error_inspect_no_test_split: z.object({ id, dataset: word }).strict(),
  error_inspect_not_conv: z.object({ layer: count, type: word }).strict(),
  error_predictor_exited: z.object({ code: word, signal: word }).strict(),
  error_predictor_failed: z.object({ error: word }).strict(),
  error_predictor_stopped: z.object({}).strict(),
  error_predictor_timeout: z.object({ limitSeconds: number }).strict(),
  error_predictor_was_stopped: z.object({}).strict(),
  // A model spec's shapes refused, layer by layer (core/models/shapeInference.ts); every one starts `layers[i] (type): `.
  model_needs_flat: z.object({ index: count, type: word, shape: word }).strict(),
  model_needs_image: z.object({ index: count, type: word, size: count }).strict(),
  model_output_needs_flat: z.object({ index: count, type: word, shape: word }).strict(),
  model_shape_zero: z.object({ index: count, type: word, shape: word }).strict(),
  model_export_lrn: z.object({ index: count }).strict(),
  model_window_too_large: z
    .object({ index: count, type: word, axis: word, size: count, kernel: count, stride: count, out: number })
    .strict(),
  // Questions the page asks with a yes button (ErrorBody.confirm).
  confirm_epochs: z.object({ epochs: count, limit: count }).strict(),
  confirm_runs: z.object({ total: count, limit: count }).strict(),
  // Validation issues, one per offending field (the field path travels beside the text).
  issue_custom: z.object({}).strict(),
  issue_invalid: z.object({}).strict(),
  issue_invalid_format: z.object({ format: word }).strict(),
  issue_invalid_type: z.object({ expected: word }).strict(),
  issue_invalid_union: z.object({}).strict(),
  issue_invalid_value: z.object({ values: word }).strict(),
  issue_not_multiple_of: z.object({ divisor: number }).strict(),
  issue_required: z.object({ expected: word }).strict(),
  issue_too_big: z.object({ maximum: number }).strict(),
  issue_too_big_exclusive: z.object({ maximum: number }).strict(),
  issue_too_few_items: z.object({ minimum: number }).strict(),
  issue_too_long: z.object({ maximum: number }).strict(),
  issue_too_many_items: z.object({ maximum: number }).strict(),
  issue_too_short: z.object({ minimum: number }).strict(),
  issue_too_small: z.object({ minimum: number }).strict(),
  issue_too_small_exclusive: z.object({ minimum: number }).strict(),
  issue_unrecognized_keys: z.object({ keys: word }).strict(),
  issue_sweep_log_min: z.object({ min: number }).strict(),
  issue_sweep_random_trials: z.object({}).strict(),
  issue_sweep_tpe_budget: z.object({}).strict(),
  issue_sweep_min_above_max: z.object({ min: number, max: number }).strict(),
  // Sweep progress and the folding reason.
  sweep_progress_queueing: z.object({ queued: count, total: count }).strict(),
  sweep_progress_run: z.object({ current: count, planned: count }).strict(),
  sweep_progress_run_done: z.object({ current: count, planned: count }).strict(),
  sweep_progress_run_eta: z.object({ current: count, planned: count, etaSeconds: z.number().nonnegative() }).strict(),
  folding_derived: z.object({ derived: count, total: count }).strict(),
  folding_derived_some_separate: z.object({ derived: count, total: count, separate: count }).strict(),
  folding_early_stopping: z.object({}).strict(),
  folding_no_epochs_axis: z.object({}).strict(),
  folding_no_pairs: z.object({}).strict(),
  folding_off: z.object({}).strict(),
  folding_tpe: z.object({}).strict(),
  // Datasets: downloads, imports and their files (core/datasets); paths and hashes as they are, lists of problems coded.
  dataset_mirror_not_url: z.object({ from: word, text: word }).strict(),
  dataset_mirror_not_local_file: z.object({ from: word, text: word }).strict(),
  dataset_mirror_http_remote: z.object({ from: word, https: word }).strict(),
  dataset_mirror_scheme: z.object({ from: word, protocol: word }).strict(),
  dataset_verify_absent: z.object({ name: word }).strict(),
  dataset_verify_sha_mismatch: z.object({ file: word, got: word, expected: word }).strict(),
  dataset_being_imported: z.object({ name: word }).strict(),
  dataset_busy_downloading: z.object({ name: word }).strict(),
  dataset_busy_importing: z.object({ name: word }).strict(),
  dataset_cannot_read_path: z.object({ path: word, reason: word }).strict(),
  dataset_cannot_write: z.object({ file: word, reason: word }).strict(),
  dataset_changed_during_import: z.object({ file: word, link }).strict(),
  dataset_corrupt: z.object({ name: word, problem: wordOrProblems }).strict(),
  dataset_damaged_nothing_queued: z.object({ name: word, problem: wordOrProblems }).strict(),
  dataset_delete_downloading: z.object({ name: word }).strict(),
  dataset_delete_downloading_elsewhere: z.object({ name: word, processId: id }).strict(),
  dataset_disk_full: z.object({ file: word, path: word }).strict(),
  dataset_download_canceled: z.object({}).strict(),
  dataset_download_checksum: z.object({ file: word, expected: word, got: word }).strict(),
  dataset_download_failed: z.object({ name: word, file: word, problems: wordOrProblems }).strict(),
  dataset_downloading_elsewhere: z.object({ name: word, processId: id }).strict(),
  dataset_file_archive_member: z.object({ file: word, link, member: word }).strict(),
  dataset_file_archive_missing: z.object({ file: word, link, members: word, dir: word }).strict(),
  dataset_file_checksum: z.object({ file: word, link, got: word, published: word, expected: word }).strict(),
  dataset_file_cifar_size: z.object({ file: word, link, bytes: count, records: count, left: count }).strict(),
  dataset_file_empty: z.object({ file: word, link }).strict(),
  dataset_file_gzip_bomb: z.object({ file: word, link, maxBytes: count }).strict(),
  dataset_file_gzip_corrupt: z.object({ file: word, link, reason: word }).strict(),
  dataset_file_gzip_truncated: z.object({ file: word, link }).strict(),
  dataset_file_html: z.object({ file: word, link }).strict(),
  dataset_file_idx_size: z.object({ file: word, link, bytes: count, expected: count }).strict(),
  dataset_file_image_size: z
    .object({ file: word, link, height: count, width: count, dataset: word, expectedHeight: count, expectedWidth: count })
    .strict(),
  dataset_file_label_range: z.object({ file: word, link, label: count, record: count, max: count }).strict(),
  dataset_file_missing: z.object({ file: word, link }).strict(),
  dataset_file_not_idx: z.object({ file: word, link, magic: count }).strict(),
  dataset_file_not_tar: z.object({ file: word, link, reason: word }).strict(),
  dataset_file_too_big: z.object({ file: word, link, bytes: count, limit: count, published: word }).strict(),
  dataset_file_wrong_size: z.object({ file: word, link, bytes: count, expected: count }).strict(),
  dataset_files_missing: z.object({ name: word, have: word, missing: word, left: wordOrProblems }).strict(),
  dataset_files_missing_none: z.object({ name: word, missing: word, left: wordOrProblems }).strict(),
  dataset_files_rejected: z.object({ name: word, rejected: wordOrProblems, missing: word, left: wordOrProblems }).strict(),
  dataset_import_canceled: z.object({ name: word }).strict(),
  dataset_no_download_source: z.object({ name: word }).strict(),
  dataset_no_source_holds: z.object({ name: word, failures: wordOrProblems }).strict(),
  dataset_note_read: z.object({ label: word, link: word }).strict(),
  dataset_no_such_path: z.object({ path: word }).strict(),
  dataset_not_a_file_of: z.object({ file: word, link, name: word, expected: word }).strict(),
  dataset_not_ready: z.object({ name: word }).strict(),
  dataset_not_ready_nothing_queued: z.object({ name: word }).strict(),
  dataset_not_recognised: z.object({}).strict(),
  dataset_shutting_down: z.object({}).strict(),
  dataset_skipped_dead_link: z.object({ label: word }).strict(),
  dataset_skipped_folder_link: z.object({ label: word, link: word }).strict(),
  dataset_skipped_not_regular: z.object({ label: word, link: word }).strict(),
  dataset_skipped_character_device: z.object({ label: word, link: word }).strict(),
  dataset_skipped_block_device: z.object({ label: word, link: word }).strict(),
  dataset_skipped_fifo: z.object({ label: word, link: word }).strict(),
  dataset_skipped_socket: z.object({ label: word, link: word }).strict(),
  dataset_skipped_too_big: z.object({ label: word, link: word, size: word, name: word, maximum: word }).strict(),
  dataset_skipped_too_deep: z.object({ label: word, link: word, depth: count }).strict(),
  dataset_skipped_unreadable_folder: z.object({ label: word, link: word, reason: word }).strict(),
  dataset_split_count: z.object({ name: word, split: word, count, expected: count }).strict(),
  dataset_unknown: z.object({ name: word, names: word }).strict(),
  // An image asked for by its index past a split's images (datasets/samples.ts); `index` is printed plain, as the core does.
  dataset_sample_past_train: z.object({ field: word, index: count, count, name: word }).strict(),
  dataset_sample_past_test: z.object({ field: word, index: count, count, name: word }).strict(),
  // Why a run ended, stored beside runs.error (migration 0014); a metric's name and values pass as they are.
  run_agent_stopped: z.object({}).strict(),
  run_diverged: z.object({}).strict(),
  run_diverged_at: z.object({ epoch: count, batch: count }).strict(),
  run_not_started_budget: z.object({ minutes: number }).strict(),
  run_paused: z.object({}).strict(),
  run_pruned_asha: z.object({ rung: count, epoch: count, metric: word, value: word, keep: count, reached: count, needed: word }).strict(),
  run_pruned_asha_maximize: z
    .object({ rung: count, epoch: count, metric: word, value: word, keep: count, reached: count, needed: word })
    .strict(),
  run_pruned_asha_nan: z.object({ rung: count, epoch: count, metric: word }).strict(),
  run_pruned_median_above: z.object({ epoch: count, metric: word, best: word, median: word, completed: count }).strict(),
  run_pruned_median_below: z.object({ epoch: count, metric: word, best: word, median: word, completed: count }).strict(),
  run_pruned_median_nan: z.object({ epoch: count, metric: word }).strict(),
  run_queuing_process_ended: z.object({ owner: word }).strict(),
  run_source_ended: z.object({ id, status: word }).strict(),
  run_source_no_test: z.object({ id, epochs: count }).strict(),
  run_stopped_while_running: z.object({}).strict(),
  run_worker_silent: z.object({ seconds: count }).strict(),
  run_worker_exited: z.object({ code: word, signal: word }).strict(),
  run_worker_failed: z.object({}).strict(),
  // Training refusing a run in its worker (core/training); stored beside runs.error like the above.
  // A damaged checkpoint (training/checkpointCodec.ts, inspect/layerWeights.ts); paths and weight names as they are.
  checkpoint_no_kernel: z.object({ dir: word, layer: count, ordinal: count }).strict(),
  checkpoint_no_manifest: z.object({ dir: word }).strict(),
  checkpoint_state_invalid: z.object({ file: word, issues: word }).strict(),
  checkpoint_weight_count: z.object({ where: word, held: count, expected: count }).strict(),
  checkpoint_weight_not_float32: z.object({ dir: word, weight: word, dtype: word }).strict(),
  checkpoint_weights_short: z.object({ dir: word }).strict(),
  training_backend_gpu_host_only: z.object({ backend: word }).strict(),
  training_backend_unavailable: z.object({ backend: word, detail: wordOrProblems }).strict(),
  training_checkpoint_unreadable: z.object({ file: word, reason: word }).strict(),
  // A checkpoint that could not be written (training/checkpointIO.ts): the run ends interrupted, resumable; Node's reason as it is.
  training_checkpoint_disk_full: z.object({ dir: word }).strict(),
  training_checkpoint_quota: z.object({ dir: word }).strict(),
  training_checkpoint_not_writable: z.object({ dir: word, errno: word }).strict(),
  training_checkpoint_write_failed: z.object({ dir: word, reason: word }).strict(),
  training_checkpoint_not_json_at: z.object({ file: word, at: count }).strict(),
  training_checkpoint_not_json_ends_early: z.object({ file: word }).strict(),
  training_checkpoint_not_json_token: z.object({ file: word, token: word }).strict(),
  training_no_checkpoint: z.object({ dir: word }).strict(),
  training_no_image_left: z.object({ split: number, count }).strict(),
  // A run's recorded device with what it says beside it (training/worker.ts, tensorflowEngine.ts), each part coded inside:
  // the backend a run fell back to from a tensorflow engine that did not load, and a GPU the CPU engine left unused.
  backend_device_fallback: z.object({ device: problems, reason: problems, backend: word }).strict(),
  backend_tensorflow_cpu_gpu_unused: z.object({ version: word, cpu: word, threads: count, unused: problems }).strict(),
  backend_tensorflow_cpu_one_thread_gpu_unused: z.object({ version: word, cpu: word, threads: count, unused: problems }).strict(),
  // Why a run does not fit its memory (models/runMemory.ts): sizes as "1.2 GiB", the limit's kind in the code.
  run_memory_machine_training: memoryParams,
  run_memory_machine_evaluation: memoryParams,
  run_memory_wasm_training: memoryParams,
  run_memory_wasm_evaluation: memoryParams,
  // A cluster job's state detail, stored beside cluster_jobs.state_detail (migration 0014).
  // Why sending a sweep to a cluster failed (core/clusters); commands and what they printed pass as they are.
  cluster_command_cannot_start: z.object({ command: word, reason: word }).strict(),
  cluster_command_failed: z.object({ command: word, exit: word }).strict(),
  cluster_command_failed_said: z.object({ command: word, exit: word, said: word }).strict(),
  cluster_command_missing: z.object({ command: word }).strict(),
  cluster_k8s_refused: z.object({ reason: word }).strict(),
  cluster_sbatch_no_job_id: z.object({ answer: word }).strict(),
  cluster_shell_quote: z.object({ value: word }).strict(),
  cluster_squeue_not_json: z.object({}).strict(),
  cluster_squeue_shape: z.object({}).strict(),
  cluster_sweep_ended: z.object({ id, status: word }).strict(),
  cluster_sweep_nothing_queued: z.object({ id }).strict(),
  cluster_job_k8s_counts: z.object({ active: count, succeeded: count, failed: count }).strict(),
  cluster_job_k8s_created: z.object({}).strict(),
  cluster_job_no_kubeconfig: z.object({}).strict(),
  cluster_job_not_listed_yet: z.object({}).strict(),
  cluster_job_sbatch_on: z.object({ host: word }).strict(),
  cluster_job_squeue_gone: z.object({}).strict(),
  cluster_job_top_up: z.object({ queued: count }).strict(),
  cluster_job_canceled_from_app: z.object({ at: word }).strict(),
  // What to do next after sending a sweep to a cluster (clusters.submit's `next`); commands, paths and job ids pass as they are.
  cluster_next_slurm_dry_run: z.object({ commands: word }).strict(),
  cluster_next_slurm_dry_run_ssh: z.object({ ssh: word, commands: word }).strict(),
  cluster_next_slurm_submitted: z.object({ jobIds: word, tasks: count, atOnce: count, jobDir: word }).strict(),
  cluster_next_slurm_submitted_ssh: z.object({ jobIds: word, ssh: word, tasks: count, atOnce: count, jobDir: word }).strict(),
  cluster_next_slurm_submitted_jobs: z.object({ jobIds: word, tasks: count, atOnce: count, jobDir: word }).strict(),
  cluster_next_slurm_submitted_jobs_ssh: z.object({ jobIds: word, ssh: word, tasks: count, atOnce: count, jobDir: word }).strict(),
  cluster_next_k8s_created: z.object({ jobId: word, pods: count, atOnce: count }).strict(),
  cluster_next_k8s_written: z.object({ file: word }).strict(),
  cluster_next_k8s_written_no_kubeconfig: z.object({ file: word }).strict(),
  // A cluster job that could not be cancelled (clusters.cancel's `problems`): the job, then why (coded where the core said it coded).
  cluster_cancel_problem: z.object({ kind: word, jobId: word, problem: problems }).strict(),
  // Installing an engine (core/engine/install.ts); a tool's own output lines stay as they are.
  engine_building: z.object({}).strict(),
  engine_req_compiler_missing: z.object({}).strict(),
  engine_req_compiler_windows: z.object({}).strict(),
  engine_req_headers_download: z.object({}).strict(),
  engine_req_npm_missing: z.object({}).strict(),
  engine_req_nvidia_failed: z.object({ problem: word }).strict(),
  engine_req_nvidia_none: z.object({}).strict(),
  engine_req_python_no_pip: z.object({ problem: word }).strict(),
  engine_req_python_none: z.object({}).strict(),
  engine_req_python_ok: z.object({ command: word, pip: word }).strict(),
  engine_checking: z.object({ names: word }).strict(),
  engine_cuda12_wheels: z.object({ cuda: word }).strict(),
  engine_extracting: z.object({ file: word, done: word, total: word }).strict(),
  engine_installed: z.object({ name: word, version: word, variant: word, devices: word }).strict(),
  engine_official_failed: z.object({ failure: word }).strict(),
  engine_official_trying: z.object({ variant: word }).strict(),
  engine_package: z.object({ version: word }).strict(),
  engine_preparing: z.object({ variant: word, name: word }).strict(),
  engine_removed: z.object({ name: word }).strict(),
  engine_staged: z.object({ files: count, total: word, wheels: word }).strict(),
  engine_swapping: z.object({ dir: word }).strict(),
  engine_verifying: z.object({}).strict(),
  // Why an engine install failed or was refused (core/engine); commands, paths and a tool's own lines pass as they are.
  engine_broken_manifest_invalid: z.object({ path: word, reason: word }).strict(),
  engine_broken_manifest_json: z.object({ path: word, reason: word }).strict(),
  engine_broken_no_manifest: z.object({ dir: word }).strict(),
  engine_broken_package_missing: z.object({ dir: word }).strict(),
  engine_build_no_addon: z.object({ dir: word }).strict(),
  engine_cannot_install_here: z.object({ variant: word, name: word, reason: word }).strict(),
  engine_check_crashed: z.object({ exitCode: word, signal: word }).strict(),
  engine_check_failed: z.object({ error: word }).strict(),
  engine_check_timeout: z.object({ seconds: count }).strict(),
  engine_cuda_wheels_missing: z.object({ missing: word }).strict(),
  engine_install_canceled: z.object({}).strict(),
  engine_install_canceled_unchanged: z.object({}).strict(),
  engine_installing_elsewhere: z.object({ name: word, processId: id }).strict(),
  engine_no_compiler: z.object({}).strict(),
  engine_no_npm: z.object({}).strict(),
  engine_no_python: z.object({ reason: word }).strict(),
  engine_no_tensorflow_wheel: z.object({ names: word }).strict(),
  engine_not_changed: z.object({ error: word, name: word }).strict(),
  engine_not_changed_still_works: z.object({ error: word, name: word }).strict(),
  engine_pip_saved_nothing: z.object({ what: word }).strict(),
  engine_remove_installing: z.object({ name: word }).strict(),
  engine_shutting_down: z.object({}).strict(),
  engine_tool_exited: z.object({ what: word, command: word, exitCode: z.number().int(), tail: word }).strict(),
  engine_tool_killed: z.object({ what: word, command: word, signal: word, tail: word }).strict(),
  engine_tool_not_started: z.object({ what: word, command: word, tail: word }).strict(),
  engine_wheel_corrupt: z.object({ wheel: word, problem: word }).strict(),
  engine_wheel_missing: z.object({ path: word }).strict(),
  engine_wheel_no_c_api: z.object({ wheel: word, reason: word }).strict(),
  engine_wheel_no_header: z.object({ wheel: word }).strict(),
  engine_wheel_not_cuda: z.object({ wheel: word }).strict(),
  // Importing and exporting a Keras model (core/models/keras); the file's name and its problems pass as they are.
  keras_cannot_read: z.object({ path: word, reason: word }).strict(),
  keras_cannot_train: z.object({}).strict(),
  keras_config_too_big: z.object({ name: word, bytes: count, maximum: count }).strict(),
  keras_config_unreadable: z.object({ name: word, reason: word }).strict(),
  keras_export_lrn: z.object({ index: count }).strict(),
  keras_hdf5: z.object({ name: word }).strict(),
  keras_invalid_spec: z.object({ problems: word }).strict(),
  keras_json_too_big: z.object({ name: word, bytes: count }).strict(),
  keras_json_too_deep: z.object({ at: count }).strict(),
  keras_no_class_name: z.object({}).strict(),
  keras_no_config: z.object({ name: word }).strict(),
  keras_not_json: z.object({ reason: word }).strict(),
  keras_not_model_file: z.object({ name: word, head: word }).strict(),
  keras_not_zip: z.object({ name: word, reason: word }).strict(),
  // A remote agent (core/agents): its flags, its server's refusals, and what it fetched.
  agent_answer_not_contract: z.object({ method: word }).strict(),
  agent_backend_not_loading: z.object({ backend: word, reason: wordOrProblems }).strict(),
  agent_bye_done: z.object({}).strict(),
  agent_bye_page_stopped: z.object({}).strict(),
  agent_bye_signal: z.object({}).strict(),
  agent_dataset_not_ready: z.object({ name: word }).strict(),
  agent_file_damaged: z.object({ file: word, got: count, bytes: count }).strict(),
  agent_no_backend: z.object({}).strict(),
  agent_no_dataset_offered: z.object({ dataset: word }).strict(),
  agent_no_token: z.object({}).strict(),
  agent_run_not_held: z.object({ id, attempt: count }).strict(),
  agent_server_certificate: z.object({ server: word, reason: word }).strict(),
  agent_server_unreachable: z.object({ server: word, reason: word }).strict(),
  agent_server_answered: z.object({ server: word, status: count }).strict(),
  agent_server_not_json: z.object({ server: word, status: count }).strict(),
  agent_answer_broke_off: z.object({ method: word, reason: word }).strict(),
  agent_retrying: z.object({ what: word, problem: word, waitSeconds: count }).strict(),
  agent_spooling: z.object({ problem: word, file: word }).strict(),
  agent_server_not_url: z.object({ server: word }).strict(),
  agent_server_protocol: z.object({ protocol: word }).strict(),
  agent_sweep_gone: z.object({ id }).strict(),
  agent_token_file_no_token: z.object({ path: word }).strict(),
  agent_token_file_unreadable: z.object({ path: word, reason: word }).strict(),
  agent_token_other_sweep: z.object({ sweep: id, tokenSweep: word }).strict(),
  // This browser lending its GPU (core/gpuhost/gpuLender.ts), and the server's answer to its claim.
  agent_claim_no_gpu_run: z.object({}).strict(),
  agent_claim_no_run_for_gpu: z.object({}).strict(),
  gpu_host_ended: z.object({ runId: id, name: word, runStatus: word }).strict(),
  gpu_host_ended_requeued: z.object({ runId: id, name: word, runStatus: word }).strict(),
  gpu_host_epoch_done: z.object({ runId: id, name: word, epoch: count, epochs: count }).strict(),
  gpu_host_fetching: z.object({ runId: id, name: word }).strict(),
  gpu_host_paused: z.object({}).strict(),
  gpu_host_report_failed: z.object({ error: word }).strict(),
  gpu_host_run_taken_back: z.object({ runId: id, name: word }).strict(),
  gpu_host_starting: z.object({}).strict(),
  gpu_host_stopped: z.object({}).strict(),
  // `device`: the adapter's line (gpuhost/gpuAdapter.ts), coded inside (a plain string from older cores still validates).
  gpu_host_training_on: z.object({ runId: id, name: word, device: wordOrProblems }).strict(),
  gpu_host_waiting: z.object({ reason: word }).strict(),
  gpu_host_waiting_no_run: z.object({}).strict(),
  gpu_host_waiting_no_run_for_gpu: z.object({}).strict(),
  // What `auto` picks and why (core/gpuhost/autoBackend.ts), and why a run failed in a browser's GPU (gpuFailure.ts).
  // `device`: tensorflow's probe line, coded inside (a plain string from older cores still validates).
  auto_cuda: z.object({ device: wordOrProblems }).strict(),
  // `device` of the next three: a browser adapter's line, coded inside as gpu_adapter_* (a plain string still validates).
  auto_lending: z.object({ host: word, device: wordOrProblems, agoSeconds: count }).strict(),
  auto_not_lending: z.object({ host: word, device: wordOrProblems, agoSeconds: count, backend: word }).strict(),
  auto_software: z.object({ device: wordOrProblems, agoSeconds: count, backend: word }).strict(),
  // A browser GPU host's adapter (gpuhost/gpuAdapter.ts describeAdapter): `api` WebGPU or WebGL, `adapter` its names as the
  // browser gives them (or gpu_adapter_unnamed*, coded inside), `rasteriser` the software rasteriser's name.
  gpu_adapter_gpu: z.object({ api: word, adapter: wordOrProblems }).strict(),
  gpu_adapter_software: z.object({ api: word, adapter: wordOrProblems }).strict(),
  gpu_adapter_software_named: z.object({ api: word, adapter: wordOrProblems, rasteriser: word }).strict(),
  gpu_adapter_none: z.object({}).strict(),
  gpu_adapter_unnamed: z.object({}).strict(),
  gpu_adapter_unnamed_described: z.object({ description: word }).strict(),
  auto_no_browser: z.object({ backend: word }).strict(),
  // No GPU backend loads in the browser a run is pinned to (gpuhost/browserBackend.ts): each backend's reason after its name.
  gpu_no_backend_loads: z.object({ reasons: problems }).strict(),
  gpu_backend_no_webgpu: z.object({}).strict(),
  gpu_backend_no_adapter: z.object({}).strict(),
  gpu_backend_webgpu_not_initialised: z.object({}).strict(),
  gpu_backend_webgl_not_initialised: z.object({}).strict(),
  gpu_backend_webgl_no_context: z.object({}).strict(),
  gpu_failure_internal: z.object({ error: word }).strict(),
  gpu_failure_lost: z.object({ error: word }).strict(),
  gpu_failure_out_of_memory: z.object({ error: word }).strict(),
  gpu_failure_stalled: z.object({ seconds: z.number().nonnegative() }).strict(),
  gpu_failure_unknown_message: z.object({ problem: word }).strict(),
  gpu_failure_window_gone: z.object({ reason: word, exitCode: z.number().int() }).strict(),
  gpu_failure_worker_died: z.object({ reason: word }).strict(),
  // A sweep queued in the background (core/sweeps/sweepWriter.ts): where its queueing stopped, and why.
  sweep_queueing_failed: z.object({ queued: count, total: count, reason: word }).strict(),
  error_sweep_queueing_moved: z.object({ id, owner: word }).strict(),
  // Lists whose items are sentences, each item coded (stop 28, engineer D): a heading whose items follow as its issues.
  error_sweep_no_feasible_point_problems: z.object({ tries: count }).strict(),
  checkpoint_state_not_state: z.object({ file: word }).strict(),
  ...importTextParams,
  ...downloadTextParams,
  ...kerasTextParams,
  ...agentLogTextParams,
  ...agentProtocolTextParams,
  ...datasetPathTextParams,
  ...datasetStateTextParams(problems),
  ...backendTextParams,
  ...sweepTextParams(problems),
  ...healthTextParams,
} as const;

export type CoreTextCode = keyof typeof coreTextParams;
export const coreTextCodes = Object.keys(coreTextParams) as CoreTextCode[];

/** One code with its parameters, typed per code: `{ code: 'error_run_not_found', params: { id: 3 } }`. */
export type CoreText = { [C in CoreTextCode]: { code: C; params: z.infer<(typeof coreTextParams)[C]> } }[CoreTextCode];

const isCode = (code: string): code is CoreTextCode => Object.hasOwn(coreTextParams, code);

/** A CoreText as it crosses a boundary: a known code whose parameters are exactly its own. */
export const CoreText = z
  .object({
    code: z.string().max(80),
    // A list is checked item by item against its code's parameters below.
    params: z.record(z.string().max(40), z.union([z.string().max(1000), z.number(), z.array(z.unknown()).max(100)])),
  })
  .strict()
  .superRefine((text, ctx) => {
    if (!isCode(text.code)) {
      ctx.addIssue({ code: 'custom', message: `unknown text code '${text.code}'`, path: ['code'] });
      return;
    }
    const checked = coreTextParams[text.code].safeParse(text.params);
    if (!checked.success)
      for (const issue of checked.error.issues)
        ctx.addIssue({
          code: 'custom',
          message: issue.message,
          path: ['params', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
        });
  }) as unknown as z.ZodType<CoreText>;

/** A validation issue's coded form: the field path as the English issue names it, and its text (null: English only). */
export const IssueText = z.object({ path: z.string().max(1000), text: CoreText.nullable() }).strict();
export type IssueText = z.infer<typeof IssueText>;

/**
 * One problem of several that an English sentence joins with '; ' (a sweep point's errors): the
 * English item, and its coded form with the field path ('' where the text names its field itself).
 */
export interface ProblemText {
  sentence: string;
  path: string;
  text: CoreText | null;
}
export const ProblemText: z.ZodType<ProblemText> = z
  .object({ sentence: z.string().max(4000), path: z.string().max(1000), text: CoreText.nullable() })
  .strict();

/** Builds a CoreText with its parameters type-checked against its code. */
export function coreText<C extends CoreTextCode>(code: C, params: z.infer<(typeof coreTextParams)[C]>): CoreText {
  return { code, params } as CoreText;
}
