import { readCsvHeader } from './csv-header';

describe('readCsvHeader', () => {
  it('picks the delimiter that splits the header row most', () => {
    expect(readCsvHeader('a,b,c\n1,2,3\n')).toEqual({ delimiter: ',', columnCount: 3 });
    expect(readCsvHeader('a;b;c\n1;2,5;3\n')).toEqual({ delimiter: ';', columnCount: 3 });
    expect(readCsvHeader('a\tb\n1\t2\n')).toEqual({ delimiter: '\t', columnCount: 2 });
    expect(readCsvHeader('a|b|c|d\r\n1|2|3|4\r\n')).toEqual({ delimiter: '|', columnCount: 4 });
  });

  it('ignores delimiters inside quoted names and stops at the first unquoted line break', () => {
    expect(readCsvHeader('"last, first";"a;b"\nx;y\n')).toEqual({ delimiter: ';', columnCount: 2 });
    expect(readCsvHeader('"multi\nline",b\n1,2\n')).toEqual({ delimiter: ',', columnCount: 2 });
  });

  it('reads a one-column header and skips a byte-order mark', () => {
    expect(readCsvHeader('\uFEFFname\nalice\n')).toEqual({ delimiter: ',', columnCount: 1 });
  });

  it('returns null for an empty header row', () => {
    expect(readCsvHeader('\n1,2\n')).toBeNull();
    expect(readCsvHeader('   \r\n')).toBeNull();
  });
});
