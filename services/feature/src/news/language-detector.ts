// Cheap language identification for news text, without a model or a package: the share of words
// that are function words (stopwords) of English, German, French, Spanish, Italian or Dutch. News
// prose is 30-50 % function words, so a few sentences decide it; a bare headline of names and
// numbers does not, and is 'und' (undetermined, the BCP 47 code) rather than a guess.

const STOPWORDS: Record<string, readonly string[]> = {
  en: 'the and of to in is that for on with as was are by at from this it be has have after its an will but not or were their which said than into over'.split(
    ' ',
  ),
  de: 'der die das und ist nicht mit von den dem des ein eine einen auf für sich auch im zu bei nach wird werden hat sind aus über wie oder noch vor um'.split(
    ' ',
  ),
  fr: 'le la les et des du de un une est pour dans que qui sur pas au aux avec par ce cette sont ont plus mais été il elle ses leur en'.split(
    ' ',
  ),
  es: 'el la los las y de del que en un una es por con para se su sus al lo como más pero fue ha han este esta sobre entre'.split(
    ' ',
  ),
  it: 'il lo la gli le di e che è un una per con non del della dei delle nel nella sono ha hanno alla al anche come più ma questo questa'.split(
    ' ',
  ),
  nl: 'de het een en van is dat niet op met voor zijn te er aan bij ook als door naar wordt werd heeft hebben maar nog om uit over deze'.split(
    ' ',
  ),
};

/** Languages this detector can tell apart. */
export const DETECTABLE_LANGUAGES = Object.keys(STOPWORDS);

const LANGUAGES_OF = new Map<string, string[]>();
for (const [language, words] of Object.entries(STOPWORDS)) {
  for (const word of words) LANGUAGES_OF.set(word, [...(LANGUAGES_OF.get(word) ?? []), language]);
}

/** At least this many function-word hits, and this share of all words, before naming a language. */
const MIN_HITS = 2;
const MIN_SHARE = 0.08;

export const UNDETERMINED = 'und';

/** The stopword vote: the language with the most hits, when it clearly leads; else 'und'. */
export function detectLanguage(text: string): string {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  const hits = new Map<string, number>();
  for (const word of words) {
    for (const language of LANGUAGES_OF.get(word) ?? []) hits.set(language, (hits.get(language) ?? 0) + 1);
  }
  const ranked = [...hits].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < MIN_HITS || best[1] / words.length < MIN_SHARE) return UNDETERMINED;
  if (second && second[1] === best[1]) return UNDETERMINED;
  return best[0];
}

/**
 * The article's language: the publisher's `language` when it is a usable code (its primary subtag,
 * lower-cased: 'en-US' → 'en'), else the stopword vote over the normalized text.
 */
export function articleLanguage(given: string, text: string): string {
  const primary = given.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  if (/^[a-z]{2,3}$/.test(primary)) return primary;
  return detectLanguage(text);
}
