/** Text made in the core, in the page's language: shared with the CLI, see i18n/coreText.ts. */
export {
  coreTextOf,
  datasetSourceText,
  durationText,
  elapsedText,
  errorBodyText,
  issuesOf,
  problemsOf,
  storedErrorText,
} from '../../i18n/coreText.ts';
