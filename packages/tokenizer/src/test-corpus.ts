/** A small fixed English corpus for tests (written for this repo; no external data). */
export const TEST_CORPUS: readonly string[] = [
  'A compiler is a program that translates source code written in a programming language into machine code.',
  'An interpreter executes the source code directly, statement by statement, without producing machine code.',
  'The operating system manages the hardware and software resources of the computer and provides services.',
  'A linker combines object files produced by the compiler into a single executable program or library.',
  "The program's memory is divided into the stack, the heap and the static data; the compiler decides which.",
  'In 1957 the first FORTRAN compiler was delivered; it took 18 person-years to write.',
  'A database stores records; a query language such as SQL selects, inserts, updates and deletes them.',
  'Networking protocols such as TCP and IP move packets between computers; the router forwards packets.',
  'The element hydrogen has atomic number 1; helium has atomic number 2; lithium has atomic number 3.',
  "Don't confuse the compiler's front end (parsing) with its back end (code generation and optimisation).",
];
