import { describe, expect, it } from 'vitest';
import { articleLanguage, detectLanguage } from './language-detector';

describe('detectLanguage', () => {
  it.each([
    [
      'en',
      'Tesla shares fell sharply on Monday after the company said that deliveries were weaker than expected.',
    ],
    [
      'de',
      'Die Aktie von Siemens ist am Montag nach der Veröffentlichung der Zahlen deutlich gefallen, und auch die Prognose wird gesenkt.',
    ],
    [
      'fr',
      'Le titre de la société a chuté lundi après la publication des résultats, qui sont inférieurs aux attentes des analystes.',
    ],
    [
      'es',
      'Las acciones de la empresa cayeron el lunes después de que la compañía publicara sus resultados, que fueron peores de lo esperado.',
    ],
    [
      'it',
      'Le azioni della società sono crollate lunedì dopo la pubblicazione dei risultati, che non hanno soddisfatto le attese per il trimestre.',
    ],
    [
      'nl',
      'Het aandeel van het bedrijf is maandag flink gedaald nadat de resultaten werden gepubliceerd, die tegenvielen voor de beleggers.',
    ],
  ])('recognizes %s prose', (language, text) => {
    expect(detectLanguage(text)).toBe(language);
  });

  it('says und when there is too little evidence', () => {
    expect(detectLanguage('')).toBe('und');
    expect(detectLanguage('$AAPL $TSLA 12% Q3')).toBe('und');
    expect(detectLanguage('Nvidia beats estimates')).toBe('und');
    // A single function word among many names is not enough either.
    expect(detectLanguage('Apple Microsoft Nvidia Tesla Amazon Meta Google Netflix Intel and Cisco')).toBe(
      'und',
    );
  });

  it('says und on an exact tie between two languages', () => {
    // "de" and "la" are both French and Spanish function words.
    expect(detectLanguage('de la')).toBe('und');
  });
});

describe('articleLanguage', () => {
  it('keeps the given language, reduced to its lower-cased primary subtag', () => {
    expect(articleLanguage('en', 'Die Aktie ist gefallen und die Prognose wird gesenkt')).toBe('en');
    expect(articleLanguage('de-DE', '')).toBe('de');
    expect(articleLanguage('PT_br', '')).toBe('pt');
    expect(articleLanguage('ja', '')).toBe('ja');
  });

  it('detects when the given language is empty or unusable', () => {
    const german = 'Die Aktie ist am Montag gefallen, und die Prognose wird gesenkt.';
    expect(articleLanguage('', german)).toBe('de');
    expect(articleLanguage('  ', german)).toBe('de');
    expect(articleLanguage('english', german)).toBe('de');
    expect(articleLanguage('', 'AAPL')).toBe('und');
  });
});
